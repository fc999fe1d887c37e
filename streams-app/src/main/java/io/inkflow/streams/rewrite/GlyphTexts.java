package io.inkflow.streams.rewrite;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the literal text a prompt asks to be drawn: quoted text (“…”, 「…」, 『…』, "…") and phrases
 * such as 写出…字 or "with the words …". These strings go to the glyph encoder and are never rewritten.
 */
public final class GlyphTexts {
  /** Opening quotes and, at the same index, their closing quotes. */
  private static final String OPEN = "“「『\"";
  private static final String CLOSE = "”」』\"";
  /** Longest quoted text, in code points. */
  static final int MAX_QUOTED = 64;
  /** 写出春字, 写着福字, 写有"中秋"字样 — the quoted forms are caught by {@link #unquote}. */
  private static final Pattern ZH_PHRASE = Pattern.compile("(?:写出|写着|写有|写上|书写|印有|印着)([\\p{IsHan}A-Za-z0-9%]{1,12}?)(?:字样|字|$|[，。,.\\s])");
  /** with the word SALE, with the words 50% OFF, that says HELLO, reading OPEN: a run of upper-case words. */
  private static final Pattern EN_PHRASE = Pattern.compile(
      "(?i:\\b(?:with the words?|that says|which says|saying|reading|with the text|labell?ed))\\s+"
          + "([\\p{Lu}0-9%!&'$€¥£-]+(?:\\s+[\\p{Lu}0-9%!&'$€¥£-]+)*)(?=$|[\\s,.;:)])");

  /** Lower-case words one of which every EN_PHRASE match contains. */
  private static final List<String> EN_CUES = List.of("with the word", "says", "saying", "reading", "with the text", "label");

  private GlyphTexts() {}

  /** Literal texts in order of appearance, without duplicates; at most {@code max}. */
  public static List<String> extract(String prompt, int max) {
    Set<String> found = new LinkedHashSet<>();
    String unquoted = unquote(prompt, found);
    // Each phrase pattern runs only when the characters or words it needs are present: most prompts have none.
    boolean zhCue = false;
    boolean latin = false;
    for (int i = 0; i < unquoted.length(); i++) {
      char c = unquoted.charAt(i);
      zhCue |= c == '写' || c == '书' || c == '印';
      latin |= (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }
    if (zhCue) {
      Matcher zh = ZH_PHRASE.matcher(unquoted);
      while (zh.find()) {
        found.add(zh.group(1));
      }
    }
    if (latin && EN_CUES.stream().anyMatch(unquoted.toLowerCase(Locale.ROOT)::contains)) {
      Matcher en = EN_PHRASE.matcher(unquoted);
      while (en.find()) {
        found.add(en.group(1).strip());
      }
    }
    List<String> out = new ArrayList<>(found);
    return out.size() > max ? out.subList(0, max) : out;
  }

  /**
   * Adds each quoted text (1 to {@value #MAX_QUOTED} code points between a quote and the first
   * matching closing quote, not blank) to {@code found}, stripped, and returns the prompt with every
   * quotation, quotes included, replaced by a space. Scanning resumes after a quotation; an opening
   * quote without a closing one in reach is an ordinary character.
   */
  static String unquote(String prompt, Set<String> found) {
    StringBuilder rest = null;
    int copied = 0;
    for (int i = 0; i < prompt.length(); i++) {
      int kind = OPEN.indexOf(prompt.charAt(i));
      if (kind < 0) {
        continue;
      }
      int close = closing(prompt, CLOSE.charAt(kind), i);
      if (close <= i + 1 || (close - i - 1 > MAX_QUOTED && prompt.codePointCount(i + 1, close) > MAX_QUOTED)) {
        continue;
      }
      String text = prompt.substring(i + 1, close);
      if (!text.isBlank()) {
        found.add(text.strip());
      }
      if (rest == null) {
        rest = new StringBuilder(prompt.length());
      }
      rest.append(prompt, copied, i).append(' ');
      copied = close + 1;
      i = close;
    }
    return rest == null ? prompt : rest.append(prompt, copied, prompt.length()).toString();
  }

  /**
   * The first {@code quote} after {@code open}, looked for only as far as a quotation can reach
   * ({@value #MAX_QUOTED} code points are at most twice as many chars), or -1.
   */
  private static int closing(String prompt, char quote, int open) {
    int end = Math.min(prompt.length(), open + 2 + 2 * MAX_QUOTED);
    for (int j = open + 1; j < end; j++) {
      if (prompt.charAt(j) == quote) {
        return j;
      }
    }
    return -1;
  }
}
