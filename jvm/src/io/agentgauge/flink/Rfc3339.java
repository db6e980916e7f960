package io.agentgauge.flink;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.regex.Pattern;

/** RFC 3339 timestamps with an offset, exactly as the event contract accepts them. */
final class Rfc3339 {
  // Same shape as the contract: date, 'T'/'t'/' ', time with seconds and 0-9 fraction digits,
  // 'Z'/'z' or +-HH:MM. java.time alone is looser (seconds optional, +HH:MM:SS offsets).
  private static final Pattern SHAPE =
      Pattern.compile(
          "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$");

  private Rfc3339() {}

  /** The instant truncated to milliseconds, or null when the text is not such a timestamp. */
  static Instant parse(String text) {
    if (text == null || !SHAPE.matcher(text).matches()) {
      return null;
    }
    String iso = text.substring(0, 10) + 'T' + text.substring(11).replace('z', 'Z');
    try {
      return OffsetDateTime.parse(iso).toInstant().truncatedTo(ChronoUnit.MILLIS);
    } catch (DateTimeParseException e) {
      return null; // e.g. month 13
    }
  }
}
