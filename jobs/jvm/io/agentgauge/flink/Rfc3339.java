package io.agentgauge.flink;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;

/**
 * RFC 3339 timestamps with an offset, exactly as the event contract accepts them: date,
 * 'T'/'t'/' ', time with seconds and 0-9 fraction digits, 'Z'/'z' or +-HH:MM. Read by hand, once
 * per event on the hot path: a regex plus {@code OffsetDateTime.parse} cost ten times more, and
 * java.time's parser alone is looser (seconds optional, +HH:MM:SS offsets).
 */
final class Rfc3339 {
  private Rfc3339() {}

  /** The instant truncated to milliseconds, or null when the text is not such a timestamp. */
  static Instant parse(String s) {
    int n = s == null ? 0 : s.length();
    if (n < 20
        || s.charAt(4) != '-'
        || s.charAt(7) != '-'
        || "Tt ".indexOf(s.charAt(10)) < 0
        || s.charAt(13) != ':'
        || s.charAt(16) != ':') {
      return null;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 2);
    int day = digits(s, 8, 2);
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    int i = 19;
    int millis = 0;
    if (s.charAt(i) == '.') {
      int start = ++i;
      while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        if (i - start < 3) {
          millis = millis * 10 + (s.charAt(i) - '0');
        }
        i++;
      }
      int count = i - start;
      if (count < 1 || count > 9) {
        return null;
      }
      for (int k = count; k < 3; k++) {
        millis *= 10;
      }
    }
    if (i >= n) {
      return null;
    }
    int offsetSeconds;
    char z = s.charAt(i);
    if ((z == 'Z' || z == 'z') && i + 1 == n) {
      offsetSeconds = 0;
    } else if ((z == '+' || z == '-') && i + 6 == n && s.charAt(i + 3) == ':') {
      int oh = digits(s, i + 1, 2);
      int om = digits(s, i + 4, 2);
      if (oh < 0 || om < 0 || om > 59 || oh > 18 || (oh == 18 && om > 0)) {
        return null;
      }
      offsetSeconds = (z == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    } else {
      return null;
    }
    if ((year | month | day | hour | minute | second) < 0) {
      return null;
    }
    try {
      long epochDay = LocalDate.of(year, month, day).toEpochDay(); // rejects month 13, Feb 30
      int secondOfDay = LocalTime.of(hour, minute, second).toSecondOfDay();
      long epochSecond = epochDay * 86_400L + secondOfDay - offsetSeconds;
      return Instant.ofEpochSecond(epochSecond, millis * 1_000_000L);
    } catch (DateTimeException e) {
      return null;
    }
  }

  /** The non-negative number written with exactly {@code count} ASCII digits at {@code at}, or -1. */
  private static int digits(String s, int at, int count) {
    int v = 0;
    for (int i = at; i < at + count; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }
}
