package io.inkflow.schemas.serde;

import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.io.Encoder;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * Avro's specific writer, refusing a string with an unpaired UTF-16 surrogate (Avro would write '?'
 * for it, so "a cat \uD83D" would arrive as "a cat ?") with an {@link InvalidTextException} that names
 * the field and the position.
 */
class StrictDatumWriter<T> extends SpecificDatumWriter<T> {
  StrictDatumWriter(Schema schema) {
    super(schema);
  }

  @Override
  protected void writeString(Object datum, Encoder out) throws IOException {
    if (datum instanceof String s) {
      int at = StrictText.firstUnpairedSurrogate(s);
      if (at >= 0) {
        throw new InvalidTextException(String.format("unpaired UTF-16 surrogate U+%04X at char %d of %d; expected valid Unicode text",
            (int) s.charAt(at), at, s.length()));
      }
    }
    super.writeString(datum, out);
  }

  @Override
  protected void writeField(Object datum, Schema.Field f, Encoder out, Object state) throws IOException {
    try {
      super.writeField(datum, f, out, state);
    } catch (InvalidTextException e) {
      throw e.within(f.name());
    }
  }
}
