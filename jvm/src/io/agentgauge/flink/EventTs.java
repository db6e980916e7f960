package io.agentgauge.flink;

import java.io.IOException;
import java.time.Instant;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code AG_EVENT_TS(payload)}: the top-level {@code ts} of a JSON event as TIMESTAMP_LTZ(3), or
 * NULL. For the source's event-time column: it reads only as far as {@code ts}.
 */
public class EventTs extends ScalarFunction {
  private static final long serialVersionUID = 1L;
  private static final JsonFactory JSON = new JsonFactory();

  public @DataTypeHint("TIMESTAMP_LTZ(3)") Instant eval(String payload) {
    if (payload == null) {
      return null;
    }
    try (JsonParser p = JSON.createParser(payload)) {
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
    } catch (IOException e) {
      return null;
    }
  }
}
