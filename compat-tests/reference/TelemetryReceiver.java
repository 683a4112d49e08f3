package sluice.reference;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricsReporter;
import org.apache.kafka.server.telemetry.ClientTelemetry;
import org.apache.kafka.server.telemetry.ClientTelemetryReceiver;

/** A metrics reporter that receives client telemetry and drops it: with it Kafka serves KIP-714. */
public class TelemetryReceiver implements MetricsReporter, ClientTelemetry {
    @Override public void init(List<KafkaMetric> metrics) { }
    @Override public void metricChange(KafkaMetric metric) { }
    @Override public void metricRemoval(KafkaMetric metric) { }
    @Override public void close() { }
    @Override public void configure(Map<String, ?> configs) { }
    @Override public ClientTelemetryReceiver clientReceiver() { return (context, payload) -> { }; }
}
