package io.agentgauge.flink;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.apache.flink.core.memory.MemorySegment;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonGenerator;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.binary.BinaryStringData;

/**
 * Reading a payload (a Kafka record's value, as Flink's STRING holds it: UTF-8 bytes) without
 * decoding it into a Java String first, which the functions did four times per event.
 */
final class Payloads {
  private static final JsonFactory JSON = new JsonFactory();

  private Payloads() {}

  interface JsonRead<T> {
    T read(JsonParser parser) throws IOException;
  }

  /** {@link Utf8#readJson} of the payload. */
  static <T> T readJson(StringData payload, JsonRead<T> read) {
    return new Utf8(payload).readJson(read);
  }

  /** The payload's UTF-8 bytes: {@code bytes[off, off + len)}, in place when they can be. */
  static final class Utf8 {
    final StringData payload;
    final byte[] bytes;
    final int off;
    final int len;

    Utf8(StringData payload) {
      BinaryStringData s = (BinaryStringData) payload;
      s.ensureMaterialized();
      MemorySegment[] segments = s.getSegments();
      boolean inPlace = segments.length == 1 && !segments[0].isOffHeap();
      this.payload = payload;
      this.bytes = inPlace ? segments[0].getArray() : s.toBytes();
      this.off = inPlace ? s.getOffset() : 0;
      this.len = s.getSizeInBytes();
    }

    /**
     * {@code read} applied to a parser of the payload: over its bytes in place when they start an
     * object; else, and when they turn out not to be valid UTF-8 or JSON, over the decoded text
     * (invalid bytes replaced, as Flink's own functions see it). NULL when neither reads.
     */
    <T> T readJson(JsonRead<T> read) {
      // Jackson takes the encoding from the first bytes (a BOM, or the zero bytes of UTF-16/32);
      // '{' and a non-zero byte leave it at UTF-8, the contract's only encoding.
      if (len >= 2 && bytes[off] == '{' && bytes[off + 1] != 0) {
        try {
          return read.read(JSON.createParser(bytes, off, len));
        } catch (IOException notUtf8OrNotJson) {
          // read the decoded text below: same answer for bad JSON, replacements for bad UTF-8
        }
      }
      try {
        return read.read(JSON.createParser(payload.toString()));
      } catch (IOException notJson) {
        return null;
      }
    }
  }

  /**
   * The payload's JSON document written again without {@code \\u} and {@code \\/} escapes
   * (Jackson escapes only quotes, backslashes and control characters); NULL if it is not one JSON
   * document.
   */
  static String unescaped(StringData payload) {
    return readJson(payload, Payloads::rewrite);
  }

  private static String rewrite(JsonParser parser) throws IOException {
    StringWriter out = new StringWriter();
    try (JsonParser p = parser;
        JsonGenerator gen = JSON.createGenerator(out)) {
      if (p.nextToken() == null) {
        return null;
      }
      gen.copyCurrentStructure(p);
      if (p.nextToken() != null) {
        return null;
      }
    }
    return out.toString();
  }

  /**
   * The payload's bytes as a Latin-1 string: a copy, no decoding. ASCII bytes in UTF-8 text are
   * exactly its ASCII characters (every byte of a multi-byte character is >= 0x80), so searching
   * it for ASCII literals answers as searching the decoded text would.
   */
  static String latin1(StringData payload) {
    Utf8 utf8 = new Utf8(payload);
    return new String(utf8.bytes, utf8.off, utf8.len, StandardCharsets.ISO_8859_1);
  }
}
