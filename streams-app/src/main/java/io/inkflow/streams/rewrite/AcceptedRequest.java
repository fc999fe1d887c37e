package io.inkflow.streams.rewrite;

import io.inkflow.streams.common.VersionedSerde;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * What the PE stage remembers of an accepted request, keyed by its requestId: the request's identity
 * (SHA-256 of its canonical form, hex) and when it was accepted (wall clock ms, for the retention sweep).
 */
record AcceptedRequest(String identity, long acceptedAt) {

  /**
   * The store codec: version byte 2, then the identity (modified UTF-8) and the time. Version 1 was the
   * string {@code "<identity>|<millis>"} in UTF-8 (its first byte a hex digit); it is still read, so a
   * changelog written before the version byte restores.
   */
  static final VersionedSerde<AcceptedRequest> SERDE = new VersionedSerde<>("accepted request", 2) {
    @Override
    protected void write(AcceptedRequest a, DataOutputStream out) throws IOException {
      out.writeUTF(a.identity);
      out.writeLong(a.acceptedAt);
    }

    @Override
    protected AcceptedRequest read(int version, DataInputStream in) throws IOException {
      if (version != 2) {
        throw unknownVersion(version);
      }
      return new AcceptedRequest(in.readUTF(), in.readLong());
    }

    @Override
    protected AcceptedRequest readLegacy(byte[] data) {
      if (data.length == 0 || Character.digit(data[0], 16) < 0) {
        return null;
      }
      String s = new String(data, StandardCharsets.UTF_8);
      int bar = s.indexOf('|');
      return new AcceptedRequest(s.substring(0, bar), Long.parseLong(s.substring(bar + 1)));
    }
  };
}
