package io.agentgauge.flink;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.apache.flink.table.data.StringData;

/**
 * The job's functions on a corpus, outside Flink: one payload per input line (base64), one
 * verdict per output line: {@code <reject reason or -> TAB <redacted, base64> TAB <dead letter
 * payload, base64> TAB <throwable class or ->}. Runs on a thread with a 1 MiB stack, as a Flink
 * task thread has, and catches every Throwable per payload (a crash is a result, not an end).
 */
public final class FuzzHarness {
  public static void main(String[] args) throws Exception {
    String spec = Files.readString(Path.of(args[0])).trim();
    Path in = Path.of(args[1]);
    Path out = Path.of(args[2]);
    Throwable[] failed = new Throwable[1];
    Thread t =
        new Thread(
            null,
            () -> {
              try {
                run(spec, in, out);
              } catch (Throwable e) {
                failed[0] = e;
              }
            },
            "fuzz",
            1 << 20);
    t.start();
    t.join();
    if (failed[0] != null) {
      throw new RuntimeException(failed[0]);
    }
  }

  private static void run(String spec, Path in, Path out) throws Exception {
    Redact redact = Redact.withRules(spec);
    Base64.Decoder dec = Base64.getDecoder();
    Base64.Encoder enc = Base64.getEncoder();
    try (BufferedReader r =
            new BufferedReader(
                new InputStreamReader(Files.newInputStream(in), StandardCharsets.US_ASCII));
        BufferedWriter w =
            new BufferedWriter(
                new OutputStreamWriter(Files.newOutputStream(out), StandardCharsets.US_ASCII))) {
      String line;
      while ((line = r.readLine()) != null) {
        StringData payload = StringData.fromBytes(dec.decode(line));
        String reason = "-";
        String redacted = "";
        String dead = "";
        String thrown = "-";
        try {
          ParseEvent.Parsed parsed = ParseEvent.parse(payload);
          ContractV1.Fields f = parsed.fields;
          f.tsParsed = Rfc3339.parse(f.ts) != null;
          f.readNumbers();
          String why = parsed.reason != null ? parsed.reason : ContractV1.reject(f);
          reason = why == null ? "-" : why.replace('\t', ' ').replace('\n', ' ');
          StringData red = redact.eval(payload);
          redacted = enc.encodeToString(red.toBytes());
          String cut = red.toString();
          if (cut.length() > DeadLetter.MAX_CHARS) {
            cut = cut.substring(0, DeadLetter.MAX_CHARS);
          }
          dead = enc.encodeToString(cut.getBytes(StandardCharsets.UTF_8));
        } catch (Throwable e) {
          thrown = e.getClass().getName();
        }
        w.write(enc.encodeToString(reason.getBytes(StandardCharsets.UTF_8)));
        w.write('\t');
        w.write(redacted);
        w.write('\t');
        w.write(dead);
        w.write('\t');
        w.write(thrown);
        w.write('\n');
      }
      w.write("fallbacks\t" + redact.fallbackCount() + "\n");
    }
  }

  private FuzzHarness() {}
}
