package io.agentgauge.flink;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.util.Set;
import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.connector.file.table.factories.BulkWriterFormatFactory;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.format.EncodingFormat;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.DynamicTableFactory;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

/**
 * The lake's file format, {@code 'format' = 'agentgauge-lines'}: one STRING column written as
 * lines (the payload's UTF-8 bytes and a newline), for the filesystem sink.
 *
 * <p>Why not {@code 'format' = 'raw'}: the filesystem sink writes a row format's records straight
 * to the unbuffered part file, two write calls (record, newline) per event; those system calls
 * were a tenth of the job's CPU. A bulk format gets to buffer, and the sink then rolls part files
 * on every checkpoint (as well as by size and time), which is when the lake commits them anyway.
 */
public class LakeLines implements BulkWriterFormatFactory {
  public static final String IDENTIFIER = "agentgauge-lines";

  @Override
  public String factoryIdentifier() {
    return IDENTIFIER;
  }

  @Override
  public Set<ConfigOption<?>> requiredOptions() {
    return Set.of();
  }

  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    return Set.of();
  }

  @Override
  public EncodingFormat<BulkWriter.Factory<RowData>> createEncodingFormat(
      DynamicTableFactory.Context context, ReadableConfig formatOptions) {
    return new EncodingFormat<>() {
      @Override
      public BulkWriter.Factory<RowData> createRuntimeEncoder(
          DynamicTableSink.Context sinkContext, DataType type) {
        var fields = type.getChildren();
        if (fields.size() != 1 || !isString(fields.get(0).getLogicalType())) {
          throw new ValidationException(
              "format '" + IDENTIFIER + "' writes exactly one STRING column (besides the"
                  + " partition columns), got " + type);
        }
        return new Factory();
      }

      @Override
      public ChangelogMode getChangelogMode() {
        return ChangelogMode.insertOnly();
      }
    };
  }

  private static boolean isString(LogicalType t) {
    return t.getTypeRoot() == LogicalTypeRoot.VARCHAR || t.getTypeRoot() == LogicalTypeRoot.CHAR;
  }

  static final class Factory implements BulkWriter.Factory<RowData> {
    private static final long serialVersionUID = 1L;

    @Override
    public BulkWriter<RowData> create(FSDataOutputStream out) {
      return new Writer(out);
    }
  }

  /** Buffers lines; {@code flush}/{@code finish} hand them to the part file (never closed here). */
  static final class Writer implements BulkWriter<RowData> {
    private final BufferedOutputStream out;

    Writer(FSDataOutputStream stream) {
      this.out = new BufferedOutputStream(stream, 256 * 1024);
    }

    @Override
    public void addElement(RowData row) throws IOException {
      if (row.isNullAt(0)) {
        return; // a NULL payload has no line (the raw format cannot write one either)
      }
      out.write(row.getString(0).toBytes());
      out.write('\n');
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void finish() throws IOException {
      out.flush();
    }
  }
}
