package io.inkflow.streams.rewrite;

/** Why the prompt-engineering stage refused a request: the {@code inkflow.error.code} of its dead letter. */
public enum RejectReason {
  /** The value bytes are not a readable PromptRequest (wrong magic byte, unknown schema, truncated, …). */
  DESERIALIZATION_FAILED,
  /** A string of the request is not well-formed UTF-8 (the message names the field): a producer's encoding bug. */
  INVALID_UTF8,
  /** A null value: a tombstone is not a request. */
  TOMBSTONE,
  /** The record key is missing or differs from the request's requestId (idempotency is per key). */
  KEY_MISMATCH,
  /** requestId is empty, too long or has characters unsafe in an S3 key. */
  INVALID_REQUEST_ID,
  /** batchId is empty, too long or has characters unsafe in an S3 key. */
  INVALID_BATCH_ID,
  /** The prompt is empty or only whitespace after clean-up. */
  EMPTY_PROMPT,
  /** The prompt or the negative prompt is longer than allowed. */
  PROMPT_TOO_LONG,
  /** The prompt does not fit the pack's tokenizer budget even without rewriting. */
  TOO_MANY_TOKENS,
  /** The prompt's language is not one the pack's text encoder understands, and the pack refuses others. */
  LANGUAGE_UNSUPPORTED,
  /** Too many render texts, or one is too long or empty. */
  RENDER_TEXT_INVALID,
  /** The text holds characters that are refused (lone surrogates; control characters under REFUSE). */
  INVALID_CHARACTERS,
  /** A side is outside the accepted range, or only one of width and height is given. */
  SIZE_OUT_OF_RANGE,
  /** The aspect ratio is malformed or outside the accepted range. */
  ASPECT_OUT_OF_RANGE,
  /** numImages outside 1..max. */
  NUM_IMAGES_OUT_OF_RANGE,
  /** steps outside the pack's range. */
  STEPS_OUT_OF_RANGE,
  /** guidance is NaN, infinite, negative or outside the pack's range. */
  GUIDANCE_OUT_OF_RANGE,
  /** Too many tags, or a tag key or value too long. */
  TOO_MANY_TAGS,
  /** The prompt hits the configured blocklist. */
  BLOCKED_CONTENT,
  /** The same requestId was already accepted with a different body. */
  CONFLICT,
  /** An unexpected failure processing a readable request; the message says what. */
  PROCESSING_FAILED
}
