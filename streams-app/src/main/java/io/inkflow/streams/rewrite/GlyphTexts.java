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
  private static final Pattern QUOTED = Pattern.compile("“([^”]{1,64})”|「([^」]{1,64})」|『([^』]{1,64})』|\"([^\"]{1,64})\"");
  /** 写出春字, 写着福字, 写有"中秋"字样 — the quoted forms are caught by QUOTED. */
  private static final Pattern ZH_PHRASE = Pattern.compile("(?:写出|写着|写有|写上|书写|印有|印着)([\\p{IsHan}A-Za-z0-9%]{1,12}?)(?:字样|字|$|[，。,.\\s])");
  /** with the word SALE, with the words 50% OFF, that says HELLO, reading OPEN: a run of upper-case words. */
  private static final Pattern EN_PHRASE = Pattern.compile(
      "(?i:\\b(?:with the words?|that says|which says|saying|reading|with the text|labell?ed))\\s+"
          + "([\\p{Lu}0-9%!&'$€¥£-]+(?:\\s+[\\p{Lu}0-9%!&'$€¥£-]+)*)(?=$|[\\s,.;:)])");

  /** Lower-case words one of which every EN_PHRASE match contains. */
  private static final List<String> EN_CUES = List.of("with the word", "says", "saying", "reading", "with the text", "label");

  private GlyphTexts() {}

  private static boolean containsAny(String text, String chars) {
    for (int i = 0; i < text.length(); i++) {
      if (chars.indexOf(text.charAt(i)) >= 0) {
        return true;
      }
    }
    return false;
  }

  /** Literal texts in order of appearance, without duplicates; at most {@code max}. */
  public static List<String> extract(String prompt, int max) {
    Set<String> found = new LinkedHashSet<>();
    String unquoted = prompt;
    // Each pattern runs only when the characters or words it needs are present: most prompts have none.
    if (containsAny(prompt, "“「『\"")) {
      Matcher q = QUOTED.matcher(prompt);
      while (q.find()) {
        for (int g = 1; g <= q.groupCount(); g++) {
          if (q.group(g) != null && !q.group(g).isBlank()) {
            found.add(q.group(g).strip());
          }
        }
      }
      unquoted = QUOTED.matcher(prompt).replaceAll(" ");
    }
    if (containsAny(unquoted, "写书印")) {
      Matcher zh = ZH_PHRASE.matcher(unquoted);
      while (zh.find()) {
        found.add(zh.group(1));
      }
    }
    String lower = unquoted.toLowerCase(Locale.ROOT);
    if (EN_CUES.stream().anyMatch(lower::contains)) {
      Matcher en = EN_PHRASE.matcher(unquoted);
      while (en.find()) {
        found.add(en.group(1).strip());
      }
    }
    List<String> out = new ArrayList<>(found);
    return out.size() > max ? out.subList(0, max) : out;
  }
}
