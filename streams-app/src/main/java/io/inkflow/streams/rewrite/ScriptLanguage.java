package io.inkflow.streams.rewrite;

import io.inkflow.avro.Language;
import io.inkflow.inference.text.CjkIdeographs;

/**
 * Detects a prompt's language by script: Han characters for Chinese, Latin letters for English.
 * Mixed when both carry weight. A Chinese character carries about as much as an English word, so
 * Latin letters are weighed per word.
 */
public final class ScriptLanguage {
  private ScriptLanguage() {}

  public static Language detect(String text) {
    int han = 0;
    int latinWords = 0;
    boolean inWord = false;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      boolean latin;
      if (cp < 0x80) {
        latin = (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z');
      } else if (CjkIdeographs.isCommon(cp)) {
        latin = false;
        han++;
      } else {
        Character.UnicodeScript script = Character.UnicodeScript.of(cp);
        latin = script == Character.UnicodeScript.LATIN && Character.isLetter(cp);
        if (script == Character.UnicodeScript.HAN) {
          han++;
        }
      }
      if (latin && !inWord) {
        latinWords++;
      }
      inWord = latin;
    }
    if (han == 0 && latinWords == 0) {
      return Language.UNKNOWN;
    }
    double zhShare = han / (double) (han + latinWords);
    if (zhShare >= 0.8) {
      return Language.ZH;
    }
    if (zhShare <= 0.2) {
      return Language.EN;
    }
    return Language.MIXED;
  }
}
