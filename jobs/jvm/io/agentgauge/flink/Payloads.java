package io.agentgauge.flink;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.apache.flink.core.memory.MemorySegment;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonGenerator;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.StreamReadConstraints;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.binary.BinaryStringData;

/**
 * Reading a payload (a Kafka record's value, as Flink's STRING holds it: UTF-8 bytes) without
 * decoding it into a Java String first, which the functions did four times per event.
 */
final class Payloads {
  /** Contract v1: an event nests objects and arrays at most this deep (streams/contract.py). */
  static final int MAX_DEPTH = 64;

  // Jackson's own nesting limit is set above ours: the walks below count depth themselves and
  // name the rule; Jackson keeps its context on the heap (no recursion), so depth cannot crash.
  static final JsonFactory JSON =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(100_000)
                  .maxStringLength(Integer.MAX_VALUE)
                  .maxNumberLength(100_000)
                  .build())
          .build();

  private Payloads() {}

  /**
   * Whether {@code b[off, off + len)} is well-formed UTF-8, as Python decodes it: no overlong
   * forms, no encoded surrogates, nothing above U+10FFFF. One pass; ASCII costs a compare a byte.
   */
  static boolean validUtf8(byte[] b, int off, int len) {
    int i = off;
    int end = off + len;
    while (i < end) {
      int c = b[i] & 0xFF;
      if (c < 0x80) {
        i++;
        continue;
      }
      int n;
      int min;
      if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
        min = 0x80;
      } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        min = 0x800;
      } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        min = 0x10000;
      } else {
        return false;
      }
      if (i + n >= end) {
        return false; // the sequence is cut off by the end
      }
      int cp = c & (0x3F >> n);
      for (int k = 1; k <= n; k++) {
        int cc = b[i + k] & 0xFF;
        if ((cc & 0xC0) != 0x80) {
          return false;
        }
        cp = (cp << 6) | (cc & 0x3F);
      }
      if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return false;
      }
      i += n + 1;
    }
    return true;
  }

  /** Whether a string holds a surrogate that is not part of a pair (a lone {@code \ud800}). */
  static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
          continue;
        }
        return true;
      }
      if (Character.isLowSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

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
