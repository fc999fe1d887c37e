package io.inkflow.inference.pack;

import java.util.Locale;

/**
 * The pack's prompt tokenizer.
 *
 * @param type how to tokenize
 * @param file the tokenizer file relative to the pack folder ({@code tokenizer.json}); null for
 *     {@link Type#UTF8_BYTES}
 * @param maxLength the text encoder's sequence length: ids are truncated or padded to it
 * @param padId the id used for padding; -1 when the tokenizer's own files say (CLIP)
 */
public record TokenizerSpec(Type type, String file, int maxLength, int padId) {

  /** Tokenizer kinds. */
  public enum Type {
    /** A Hugging Face {@code tokenizer.json}, loaded offline by the DJL tokenizers library. */
    HF_TOKENIZER_JSON("hf-tokenizer-json"),
    /** UTF-8 bytes + 3 (ByT5 convention: 0 pad, 1 eos, 2 unk), eos appended; needs no file. */
    UTF8_BYTES("utf8-bytes"),
    /** A CLIP byte-level BPE tokenizer folder ({@code vocab.json} + {@code merges.txt}, or {@code tokenizer.json}). */
    CLIP_BPE("clip-bpe"),
    /** A T5 SentencePiece tokenizer folder ({@code tokenizer.json} or {@code spiece.model}). */
    T5("t5");

    private final String manifestName;

    Type(String manifestName) {
      this.manifestName = manifestName;
    }

    public String manifestName() {
      return manifestName;
    }

    public static Type parse(String text) {
      String key = text.trim().toLowerCase(Locale.ROOT);
      for (Type t : values()) {
        if (t.manifestName.equals(key)) {
          return t;
        }
      }
      if (key.equals("huggingface") || key.equals("tokenizer.json")) {
        return HF_TOKENIZER_JSON;
      }
      if (key.equals("byt5") || key.equals("bytes")) {
        return UTF8_BYTES;
      }
      throw new IllegalArgumentException("expected hf-tokenizer-json or utf8-bytes, found '" + text + "'");
    }
  }

  static TokenizerSpec read(ManifestJson json) {
    Type type;
    try {
      type = Type.parse(json.text("type"));
    } catch (IllegalArgumentException e) {
      throw json.error("type", e.getMessage());
    }
    String file = type == Type.HF_TOKENIZER_JSON ? json.text("file") : null;
    return new TokenizerSpec(type, file, json.positiveInt("maxLength"),
        json.has("padId") ? json.integer("padId") : 0);
  }
}
