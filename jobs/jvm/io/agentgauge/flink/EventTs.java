package io.agentgauge.flink;

import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code AG_EVENT_TS(payload)}: the top-level {@code ts} of a JSON event as TIMESTAMP_LTZ(3), or
 * NULL. For the source's event-time column: it reads the payload's UTF-8 bytes in place, and only
 * as far as {@code ts}.
 *
 * <p>Flink evaluates the event-time column twice per record, in the source's watermark generator
 * (watermark push-down, which has no switch) and in the next Calc, on payload objects of its own.
 * The last payload and its result are kept per thread: the second call compares bytes instead of
 * parsing.
 *
 * <p>A {@code ts} more than the configured skew ahead of the job's clock (the second argument,
 * as {@link ParseEvent#SKEW_PARAMETER}) is not the event's time: NULL, so the record time stands in and one
 * event from the future cannot drag the watermark ahead (the event itself is dead-lettered as
 * {@code ts_in_future}).
 */
public class EventTs extends ScalarFunction {
  private static final long serialVersionUID = 1L;
  private static final ThreadLocal<Last> LAST = ThreadLocal.withInitial(Last::new);

  private static final class Last {
    byte[] payload = new byte[0];
    Instant ts;
  }

  /** {@code maxSkewSeconds}: the job's ts_max_skew_s (an argument: job parameters cannot be
   * read where the watermark generator opens its functions). */
  public @DataTypeHint("TIMESTAMP_LTZ(3)") Instant eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload,
      Integer maxSkewSeconds) {
    if (payload == null) {
      return null;
    }
    Last last = LAST.get();
    Payloads.Utf8 utf8 = new Payloads.Utf8(payload);
    int end = utf8.off + utf8.len;
    if (!Arrays.equals(last.payload, 0, last.payload.length, utf8.bytes, utf8.off, end)) {
      last.ts = utf8.readJson(EventTs::readTs);
      last.payload = Arrays.copyOfRange(utf8.bytes, utf8.off, end);
    }
    Instant ts = last.ts;
    long skewMillis = 1000L * (maxSkewSeconds == null ? 300 : maxSkewSeconds);
    return ts != null && ts.toEpochMilli() > System.currentTimeMillis() + skewMillis ? null : ts;
  }

  private static Instant readTs(JsonParser parser) throws IOException {
    try (JsonParser p = parser) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if ("ts".equals(name)) {
          return value == JsonToken.VALUE_STRING ? Rfc3339.parse(p.getText()) : null;
        }
        p.skipChildren();
      }
      return null;
    }
  }
}
