package io.inkflow.inference.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Counts tokens for a Hugging Face tokenizer of the BERT word-level shape (BertNormalizer,
 * BertPreTokenizer optionally followed by individual Digits, a WordLevel model) without calling into
 * the native library. A word-level model maps every pre-token to exactly one id, so the count is the
 * number of pre-tokens plus the template's special tokens, and it can be found by classifying
 * characters, about a hundred times faster than a native call (the PE stream counts several strings
 * per request).
 *
 * <p>Unicode tables differ between this JVM and the native library, so only characters from blocks
 * whose properties have been stable for many Unicode versions are classified here (Latin, general
 * punctuation, CJK symbols and kana, CJK unified ideographs, Hangul syllables, full-width forms).
 * {@link #count} returns -1 for any other text, and for text that contains an added token; the
 * caller then asks the library. Agreement with the library is checked by a golden test.
 */
final class BertWordLevelCounter {
  private final boolean stripAccents;
  private final boolean individualDigits;
  private final int specialTokens;
  private final List<String> addedTokens;
  /**
   * The added tokens' first characters when each is an ASCII character without case (such as '['):
   * text that holds none of them cannot hold an added token, in any case. Null when that test does
   * not apply.
   */
  private final String addedTokenStarts;

  private BertWordLevelCounter(boolean stripAccents, boolean individualDigits, int specialTokens, List<String> addedTokens) {
    this.stripAccents = stripAccents;
    this.individualDigits = individualDigits;
    this.specialTokens = specialTokens;
    this.addedTokens = addedTokens;
    StringBuilder starts = new StringBuilder();
    for (String t : addedTokens) {
      char first = t.isEmpty() ? 'a' : t.charAt(0);
      if (first >= 0x80 || Character.isLetter(first)) {
        starts = null;
        break;
      }
      starts.append(first);
    }
    this.addedTokenStarts = starts == null ? null : starts.toString();
  }

  /** A counter for {@code tokenizer.json}, or empty when its shape is not the one this class knows. */
  static Optional<BertWordLevelCounter> forTokenizer(JsonNode json) {
    if (!"WordLevel".equals(json.path("model").path("type").asText())) {
      return Optional.empty();
    }
    JsonNode norm = json.path("normalizer");
    if (!"BertNormalizer".equals(norm.path("type").asText()) || !norm.path("clean_text").asBoolean(false)
        || !norm.path("handle_chinese_chars").asBoolean(false)) {
      return Optional.empty();
    }
    boolean lowercase = norm.path("lowercase").asBoolean(false);
    boolean strip = norm.path("strip_accents").isNull() || norm.path("strip_accents").isMissingNode()
        ? lowercase : norm.path("strip_accents").asBoolean();
    JsonNode pre = json.path("pre_tokenizer");
    boolean digits = false;
    if ("Sequence".equals(pre.path("type").asText())) {
      JsonNode seq = pre.path("pretokenizers");
      if (seq.size() < 1 || seq.size() > 2 || !"BertPreTokenizer".equals(seq.get(0).path("type").asText())) {
        return Optional.empty();
      }
      if (seq.size() == 2) {
        if (!"Digits".equals(seq.get(1).path("type").asText()) || !seq.get(1).path("individual_digits").asBoolean(false)) {
          return Optional.empty();
        }
        digits = true;
      }
    } else if (!"BertPreTokenizer".equals(pre.path("type").asText())) {
      return Optional.empty();
    }
    JsonNode post = json.path("post_processor");
    int specials;
    if (post.isNull() || post.isMissingNode()) {
      specials = 0;
    } else if ("TemplateProcessing".equals(post.path("type").asText())) {
      specials = 0;
      for (JsonNode piece : post.path("single")) {
        if (piece.has("SpecialToken")) {
          String id = piece.path("SpecialToken").path("id").asText();
          specials += Math.max(1, post.path("special_tokens").path(id).path("ids").size());
        } else if (!piece.has("Sequence")) {
          return Optional.empty();
        }
      }
    } else if ("BertProcessing".equals(post.path("type").asText())) {
      specials = 2;
    } else {
      return Optional.empty();
    }
    List<String> added = new ArrayList<>();
    for (JsonNode t : json.path("added_tokens")) {
      added.add(t.path("content").asText().toLowerCase(Locale.ROOT));
    }
    return Optional.of(new BertWordLevelCounter(strip, digits, specials, List.copyOf(added)));
  }

  /** Tokens of {@code text} including the template's special tokens, or -1 when only the library can tell. */
  int count(String text) {
    if (!addedTokens.isEmpty() && mayHoldAddedToken(text)) {
      String lower = text.toLowerCase(Locale.ROOT);
      for (String t : addedTokens) {
        if (!t.isEmpty() && lower.contains(t)) {
          return -1;
        }
      }
    }
    Pieces pieces = new Pieces();
    for (int i = 0; i < text.length(); ) {
      int c = text.codePointAt(i);
      i += Character.charCount(c);
      // ASCII and the common CJK ideographs first, without table lookups: the general path below
      // gives the same answer for them.
      if (c < 0x80) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
          pieces.space();
        } else if (c >= 0x20 && c != 0x7F) {
          pieces.add(isPunctuation(c) || (individualDigits && c >= '0' && c <= '9'));
        }
        // Other controls vanish (clean_text) without a break.
        continue;
      }
      if (CjkIdeographs.isCommon(c)) {
        pieces.isolated();
        continue;
      }
      if (!stable(c) || Character.getType(c) == Character.UNASSIGNED) {
        return -1;
      }
      // BertNormalizer.clean_text: NUL, U+FFFD and control/format characters vanish without a break.
      if (c == 0 || c == 0xFFFD || (isOther(c) && c != '\t' && c != '\n' && c != '\r')) {
        continue;
      }
      if (isWhiteSpace(c)) {
        pieces.space();
        continue;
      }
      // handle_chinese_chars puts spaces around each ideograph: one token each.
      if (isChinese(c)) {
        pieces.isolated();
        continue;
      }
      if (stripAccents && c >= 0x80) {
        String decomposed = Normalizer.normalize(new String(Character.toChars(c)), Normalizer.Form.NFD);
        for (int j = 0; j < decomposed.length(); ) {
          int d = decomposed.codePointAt(j);
          j += Character.charCount(d);
          if (Character.getType(d) != Character.NON_SPACING_MARK) {
            pieces.add(isolated(d));
          }
        }
        continue;
      }
      pieces.add(isolated(c));
    }
    return pieces.count + specialTokens;
  }

  /** Pre-tokens so far: each isolated character is one, and so is each run of word characters. */
  private static final class Pieces {
    int count;
    boolean inWord;

    void space() {
      inWord = false;
    }

    void isolated() {
      count++;
      inWord = false;
    }

    void add(boolean isolated) {
      if (isolated) {
        isolated();
      } else if (!inWord) {
        count++;
        inWord = true;
      }
    }
  }

  private boolean mayHoldAddedToken(String text) {
    if (addedTokenStarts == null) {
      return true;
    }
    for (int i = 0; i < text.length(); i++) {
      if (addedTokenStarts.indexOf(text.charAt(i)) >= 0) {
        return true;
      }
    }
    return false;
  }

  private boolean isolated(int c) {
    return isPunctuation(c) || (individualDigits && isNumeric(c));
  }

  /** Blocks whose character properties the JVM and the native library agree on. */
  static boolean stable(int c) {
    return c <= 0x024F || (c >= 0x2000 && c <= 0x206F) || (c >= 0x3000 && c <= 0x30FF) || (c >= 0x4E00 && c <= 0x9FFF)
        || (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xFF00 && c <= 0xFFEF);
  }

  /** Unicode White_Space, as Rust's char::is_whitespace. */
  static boolean isWhiteSpace(int c) {
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A)
        || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
  }

  private static boolean isOther(int c) {
    int t = Character.getType(c);
    return t == Character.CONTROL || t == Character.FORMAT || t == Character.PRIVATE_USE || t == Character.SURROGATE;
  }

  /** The CJK ranges of BERT's _is_chinese_char. */
  static boolean isChinese(int c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
        || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF)
        || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
  }

  /** ASCII punctuation and symbols, or a Unicode punctuation category (BertPreTokenizer). */
  static boolean isPunctuation(int c) {
    if (c < 0x80) {
      return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
    }
    int t = Character.getType(c);
    return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION || t == Character.START_PUNCTUATION
        || t == Character.END_PUNCTUATION || t == Character.INITIAL_QUOTE_PUNCTUATION
        || t == Character.FINAL_QUOTE_PUNCTUATION || t == Character.OTHER_PUNCTUATION;
  }

  private static boolean isNumeric(int c) {
    int t = Character.getType(c);
    return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
  }
}
