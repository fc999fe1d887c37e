package io.inkflow.schemas.serde;

import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.ResolvingDecoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;

/**
 * Avro's field-by-field specific reader, used only to say where in a record an
 * {@link InvalidTextException} arose: the fast reader that decodes every record has no per-field hook,
 * so a payload it refused is decoded again here, and the exception learns the path of its field.
 */
final class StrictDatumReader<T> extends SpecificDatumReader<T> {
  private StrictDatumReader(Schema writer, Schema reader, SpecificData data) {
    super(writer, reader, data);
  }

  /** Decodes a payload that failed with {@code e} again, returning {@code e} or the same problem with its field path. */
  static InvalidTextException locate(Schema writer, Schema reader, Class<?> type, Decoder payload, InvalidTextException e) {
    SpecificData data = new SpecificData(type.getClassLoader());
    data.setFastReaderEnabled(false);
    try {
      new StrictDatumReader<>(writer, reader, data).read(null, payload);
    } catch (InvalidTextException located) {
      return located;
    } catch (IOException | RuntimeException other) {
      return e;
    }
    return e;
  }

  @Override
  protected void readField(Object record, Schema.Field f, Object oldDatum, ResolvingDecoder in, Object state) throws IOException {
    try {
      super.readField(record, f, oldDatum, in, state);
    } catch (InvalidTextException e) {
      throw e.within(f.name());
    }
  }
}
