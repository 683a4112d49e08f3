// Driver for the Java client (org.apache.kafka:kafka-clients, resolved by compat-tests/java/pom.xml):
// the command line of compat-tests/newest-clients.ts (admin, produce, read, group, txn), one JSON
// object per stdout line. Compiled with javac by .ci/run into .cache/java-driver; run by
// compat-tests/java-client.test.ts; the share modes (KIP-932 share groups) by
// compat-tests/share-groups.test.ts. No JSON library: the few shapes it reads and writes are fixed.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class ClientDriver {
  private ClientDriver() {}

  static void emit(String json) {
    System.out.println(json);
    System.out.flush();
  }

  static String str(String s) {
    if (s == null) return "null";
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }

  static String b64(byte[] v) {
    return v == null ? "null" : str(Base64.getEncoder().encodeToString(v));
  }

  static byte[] unb64(String v) {
    return v == null ? null : Base64.getDecoder().decode(v);
  }

  static Properties props(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return p;
  }

  static void admin(String bootstrap, String topic) throws Exception {
    try (Admin a = Admin.create(props(bootstrap))) {
      a.createTopics(List.of(new NewTopic(topic, 3, (short) 1).configs(Map.of("retention.ms", "7200000")))).all().get(30, TimeUnit.SECONDS);
      emit("{\"step\":\"created\"}");
      // CreateTopics answers once the controller committed the topic; the broker a request reaches
      // may learn of it a moment later (as with Kafka): describe until it knows the topic.
      TopicDescription d = null;
      Config c = null;
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      for (long deadline = System.currentTimeMillis() + 15000; c == null; Thread.sleep(200)) {
        try {
          d = a.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
          c = a.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.currentTimeMillis() > deadline) throw e;
        }
      }
      emit("{\"step\":\"described\",\"partitions\":" + d.partitions().size() + "}");
      emit("{\"step\":\"configs\",\"retention.ms\":" + str(c.get("retention.ms").value()) + ",\"cleanup.policy\":" + str(c.get("cleanup.policy").value()) + "}");
      a.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
      boolean listed = true;
      for (long deadline = System.currentTimeMillis() + 15000; System.currentTimeMillis() < deadline; Thread.sleep(200)) {
        listed = a.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic);
        if (!listed) break;
      }
      emit("{\"step\":\"deleted\",\"listed\":" + listed + "}");
    }
  }

  /**
   * KIP-714: a client metrics subscription `name` for the producer's metrics every 500 ms, set and
   * described and listed (ListConfigResources) with the admin client (config resource
   * CLIENT_METRICS); then a producer (telemetry
   * on, the default) sends a record every 100 ms for `ms` milliseconds and closes (its last push
   * is a terminating one). Prints the producer's client instance id (base64, Kafka's Uuid form).
   */
  static void telemetry(String bootstrap, String topic, String name, String ms) throws Exception {
    try (Admin a = Admin.create(props(bootstrap))) {
      ConfigResource r = new ConfigResource(ConfigResource.Type.CLIENT_METRICS, name);
      a.incrementalAlterConfigs(Map.of(r, List.of(
          new org.apache.kafka.clients.admin.AlterConfigOp(new org.apache.kafka.clients.admin.ConfigEntry("metrics", "org.apache.kafka.producer."), org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET),
          new org.apache.kafka.clients.admin.AlterConfigOp(new org.apache.kafka.clients.admin.ConfigEntry("interval.ms", "500"), org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET))))
          .all().get(30, TimeUnit.SECONDS);
      Config c = a.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r);
      emit("{\"step\":\"subscribed\",\"metrics\":" + str(c.get("metrics").value()) + ",\"interval.ms\":" + str(c.get("interval.ms").value()) + "}");
      List<String> listed = a.listConfigResources(Set.of(ConfigResource.Type.CLIENT_METRICS), new org.apache.kafka.clients.admin.ListConfigResourcesOptions())
          .all().get(30, TimeUnit.SECONDS).stream().map(ConfigResource::name).sorted().toList();
      emit("{\"step\":\"listed\",\"names\":[" + String.join(",", listed.stream().map(ClientDriver::str).toList()) + "]}");
    }
    Properties p = props(bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.ENABLE_METRICS_PUSH_CONFIG, "true");
    int sent = 0;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      emit("{\"step\":\"instance\",\"id\":" + str(producer.clientInstanceId(Duration.ofSeconds(30)).toString()) + "}");
      for (long end = System.currentTimeMillis() + Long.parseLong(ms); System.currentTimeMillis() < end; Thread.sleep(100)) {
        producer.send(new ProducerRecord<>(topic, ("v" + sent).getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
        sent++;
      }
    }
    emit("{\"step\":\"closed\",\"sent\":" + sent + "}");
  }

  /**
   * The cluster seen by the admin client: the brokers, a topic with replication factor 3 and one
   * with explicit assignments, described with leaders and ISRs once every partition has a leader.
   */
  static void clusterAdmin(String bootstrap, String topic) throws Exception {
    try (Admin a = Admin.create(props(bootstrap))) {
      List<Integer> ids = new ArrayList<>(a.describeCluster().nodes().get(30, TimeUnit.SECONDS).stream().map(n -> n.id()).sorted().toList());
      emit("{\"step\":\"cluster\",\"brokers\":" + ids + "}");
      Map<Integer, List<Integer>> assigned = Map.of(0, List.of(ids.get(1), ids.get(2), ids.get(0)), 1, List.of(ids.get(2), ids.get(0), ids.get(1)));
      a.createTopics(List.of(new NewTopic(topic + "-rf3", 3, (short) 3), new NewTopic(topic + "-assigned", assigned))).all().get(30, TimeUnit.SECONDS);
      for (String name : List.of(topic + "-rf3", topic + "-assigned")) {
        List<org.apache.kafka.common.TopicPartitionInfo> parts = List.of();
        for (long deadline = System.currentTimeMillis() + 15000; ; Thread.sleep(200)) {
          try {
            parts = a.describeTopics(List.of(name)).allTopicNames().get(30, TimeUnit.SECONDS).get(name).partitions();
          } catch (Exception e) {
            parts = List.of();
          }
          if ((!parts.isEmpty() && parts.stream().allMatch(p -> p.leader() != null && p.leader().id() >= 0)) || System.currentTimeMillis() > deadline) break;
        }
        StringBuilder b = new StringBuilder("{\"step\":\"topic\",\"name\":" + str(name) + ",\"partitions\":[");
        for (org.apache.kafka.common.TopicPartitionInfo p : parts) {
          if (p.partition() > 0) b.append(',');
          b.append("{\"partition\":").append(p.partition()).append(",\"leader\":").append(p.leader() == null ? -1 : p.leader().id());
          b.append(",\"replicas\":").append(p.replicas().stream().map(n -> n.id()).toList());
          b.append(",\"isr\":").append(p.isr().stream().map(n -> n.id()).toList()).append('}');
        }
        emit(b.append("]}").toString());
      }
    }
  }

  // One input record: {"partition":N,"key":"b64"|null,"value":"b64"|null,"headers":[["k","b64"],...]}
  static final Pattern FIELD = Pattern.compile("\"(partition|key|value)\":(null|-?\\d+|\"[^\"]*\")");
  static final Pattern HEADER = Pattern.compile("\\[\"([^\"]*)\",\"([^\"]*)\"\\]");

  static String unquote(String v) {
    return v.equals("null") ? null : v.startsWith("\"") ? v.substring(1, v.length() - 1) : v;
  }

  static void produce(String bootstrap, String topic, String codec, String idempotent) throws Exception {
    Properties p = props(bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, idempotent.equals("1") ? "true" : "false");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line; (line = in.readLine()) != null; ) {
        if (line.isBlank()) continue;
        int headersAt = line.indexOf("\"headers\":");
        Map<String, String> f = new HashMap<>();
        Matcher m = FIELD.matcher(line.substring(0, headersAt));
        while (m.find()) f.put(m.group(1), unquote(m.group(2)));
        List<Header> headers = new ArrayList<>();
        Matcher h = HEADER.matcher(line.substring(headersAt));
        while (h.find()) headers.add(new RecordHeader(h.group(1), unb64(h.group(2))));
        sent.add(producer.send(new ProducerRecord<>(topic, Integer.valueOf(f.get("partition")), unb64(f.get("key")), unb64(f.get("value")), headers)));
      }
      producer.flush();
      for (Future<RecordMetadata> s : sent) s.get(60, TimeUnit.SECONDS);
    }
    emit("{\"step\":\"produced\",\"count\":" + sent.size() + "}");
  }

  /**
   * One record at a time to partition 0, idempotent with acks=all, each awaited: prints
   * {"acked":v} or {"failed":v} per record while the test kills the partition's leader.
   */
  static void failover(String bootstrap, String topic, String count) throws Exception {
    Properties p = props(bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "90000");
    p.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "100");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < Integer.parseInt(count); i++) {
        String v = "f-" + i;
        try {
          producer.send(new ProducerRecord<>(topic, 0, null, v.getBytes(StandardCharsets.UTF_8))).get(120, TimeUnit.SECONDS);
          emit("{\"acked\":\"" + v + "\"}");
        } catch (Exception e) {
          emit("{\"failed\":\"" + v + "\"}");
        }
        Thread.sleep(5);
      }
    }
    emit("{\"step\":\"done\"}");
  }

  static KafkaProducer<byte[], byte[]> transactionalProducer(String bootstrap, String txnId) {
    Properties p = props(bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txnId);
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p);
    producer.initTransactions();
    return producer;
  }

  /**
   * Consume-transform-produce, exactly once: a read_committed group consumer of src; per poll, a
   * transaction writes "in-N" as "out-N" to the same partition of dst and commits the consumer's
   * positions with it. Any error: the transaction is aborted (if it can be), the producer replaced
   * (the new one fences the old) and the consumer rewound to the group's committed offsets. Ends
   * once src holds `count` records and the group has committed the end of every partition of it.
   */
  static void ctp(String bootstrap, String src, String dst, String group, String txnId, String count) throws Exception {
    Properties extra = new Properties();
    extra.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    extra.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    extra.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
    extra.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
    int total = 0;
    try (KafkaConsumer<byte[], byte[]> c = consumer(bootstrap, extra)) {
      c.subscribe(List.of(src));
      KafkaProducer<byte[], byte[]> producer = null;
      for (long deadline = System.currentTimeMillis() + 240_000; System.currentTimeMillis() < deadline; ) {
        if (producer == null) producer = transactionalProducer(bootstrap, txnId);
        ConsumerRecords<byte[], byte[]> records = c.poll(Duration.ofMillis(500));
        if (records.isEmpty()) {
          Set<TopicPartition> assigned = c.assignment();
          if (!assigned.isEmpty() && assigned.size() == c.partitionsFor(src).size()) {
            Map<TopicPartition, OffsetAndMetadata> committed = c.committed(assigned);
            Map<TopicPartition, Long> ends = c.endOffsets(assigned);
            long inputs = ends.values().stream().mapToLong(Long::longValue).sum();
            if (inputs >= Long.parseLong(count) && assigned.stream().allMatch(tp -> committed.get(tp) != null && committed.get(tp).offset() >= ends.get(tp))) break;
          }
          continue;
        }
        try {
          producer.beginTransaction();
          for (ConsumerRecord<byte[], byte[]> r : records) {
            String v = new String(r.value(), StandardCharsets.UTF_8);
            producer.send(new ProducerRecord<>(dst, r.partition(), r.key(), ("out-" + v.substring(3)).getBytes(StandardCharsets.UTF_8)));
          }
          Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
          for (TopicPartition tp : c.assignment()) positions.put(tp, new OffsetAndMetadata(c.position(tp)));
          producer.sendOffsetsToTransaction(positions, c.groupMetadata());
          producer.commitTransaction();
          total += records.count();
          emit("{\"committed\":" + records.count() + ",\"total\":" + total + "}");
        } catch (Exception e) {
          emit("{\"error\":" + str(String.valueOf(e)) + "}");
          try {
            producer.abortTransaction();
          } catch (Exception ignored) {
            // the new producer's initTransactions aborts it
          }
          producer.close(Duration.ofSeconds(5));
          producer = null;
          Map<TopicPartition, OffsetAndMetadata> committed = c.committed(c.assignment());
          for (TopicPartition tp : c.assignment()) {
            OffsetAndMetadata o = committed.get(tp);
            if (o == null) c.seekToBeginning(List.of(tp));
            else c.seek(tp, o.offset());
          }
        }
      }
      if (producer != null) producer.close(Duration.ofSeconds(5));
    }
    emit("{\"step\":\"done\",\"total\":" + total + "}");
  }

  static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, Properties extra) {
    Properties p = props(bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.putAll(extra);
    return new KafkaConsumer<>(p);
  }

  static void read(String bootstrap, String topic, String partitions, String isolation, String count) {
    Properties extra = new Properties();
    extra.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    int want = Integer.parseInt(count);
    int got = 0;
    try (KafkaConsumer<byte[], byte[]> c = consumer(bootstrap, extra)) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int i = 0; i < Integer.parseInt(partitions); i++) tps.add(new TopicPartition(topic, i));
      c.assign(tps);
      c.seekToBeginning(tps);
      long deadline = System.currentTimeMillis() + 60000;
      long stopAt = Long.MAX_VALUE;
      while (System.currentTimeMillis() < Math.min(deadline, stopAt)) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          StringBuilder hs = new StringBuilder("[");
          for (Header h : r.headers()) {
            if (hs.length() > 1) hs.append(',');
            hs.append('[').append(str(h.key())).append(',').append(b64(h.value() == null ? new byte[0] : h.value())).append(']');
          }
          emit("{\"partition\":" + r.partition() + ",\"offset\":" + r.offset() + ",\"key\":" + b64(r.key()) + ",\"value\":" + b64(r.value()) + ",\"headers\":" + hs + "]}");
          got++;
        }
        if (got >= want && stopAt == Long.MAX_VALUE) stopAt = System.currentTimeMillis() + 1000;
      }
    }
    if (got < want) {
      System.err.println("read " + got + " of " + want + " records");
      System.exit(1);
    }
  }

  static void group(String bootstrap, String topic, String groupId, String protocol) throws Exception {
    Properties extra = new Properties();
    extra.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    // A static member (group.instance.id) when the environment names one.
    String instanceId = System.getenv("GROUP_INSTANCE_ID");
    if (instanceId != null && !instanceId.isEmpty()) extra.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
    if (protocol.equals("consumer")) {
      // KIP-848: the broker assigns and sets the session and heartbeat interval.
      extra.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
    } else {
      extra.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
      extra.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
    }
    KafkaConsumer<byte[], byte[]> c = consumer(bootstrap, extra);
    CountDownLatch done = new CountDownLatch(1);
    // What the closing poll loop is doing, for the message when closing takes too long.
    java.util.concurrent.atomic.AtomicReference<String> closing = new java.util.concurrent.atomic.AtomicReference<>("polling");
    // SIGTERM: wake the poll loop, which commits, leaves the group and closes; then exit 0 (a JVM
    // ended by a signal exits 143 however cleanly its hooks ran), or 1 if closing took too long.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      long asked = System.currentTimeMillis();
      c.wakeup();
      boolean closed = false;
      try {
        closed = done.await(40, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (!closed) System.err.println("ClientDriver group: not closed " + (System.currentTimeMillis() - asked) + " ms after SIGTERM, still " + closing.get());
      System.out.flush();
      System.err.flush();
      Runtime.getRuntime().halt(closed ? 0 : 1);
    }));
    // Offsets are committed after each poll and, through this listener, before partitions are
    // revoked: without a listener the KIP-848 consumer revokes in its background thread, so a
    // partition could leave between a poll that returned its records and the commit after it,
    // and its next owner would read them again (every record once is what the tests check).
    java.util.concurrent.atomic.AtomicBoolean woken = new java.util.concurrent.atomic.AtomicBoolean();
    org.apache.kafka.clients.consumer.ConsumerRebalanceListener commitOnRevoke = new org.apache.kafka.clients.consumer.ConsumerRebalanceListener() {
      @Override
      public void onPartitionsRevoked(java.util.Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) return;
        try {
          c.commitSync();
        } catch (WakeupException e) {
          woken.set(true); // SIGTERM: the poll loop goes on to close
        } catch (RuntimeException e) {
          // Seen in the test's failure message (stderr); the records may then be read again.
          System.err.println("ClientDriver group: commit before revoking " + partitions + " failed: " + e);
        }
      }

      @Override
      public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions) {}

      // Partitions lost (the member fenced) cannot be committed; the default would try.
      @Override
      public void onPartitionsLost(java.util.Collection<TopicPartition> partitions) {}
    };
    // "re:<pattern>": a KIP-848 regex subscription, resolved by the broker (SubscriptionPattern).
    if (topic.startsWith("re:")) c.subscribe(new org.apache.kafka.clients.consumer.SubscriptionPattern(topic.substring(3)), commitOnRevoke);
    else c.subscribe(List.of(topic), commitOnRevoke);
    String last = null;
    try {
      for (;;) {
        ConsumerRecords<byte[], byte[]> records = c.poll(Duration.ofMillis(200));
        TreeSet<Integer> owned = new TreeSet<>();
        for (TopicPartition tp : c.assignment()) owned.add(tp.partition());
        String now = owned.toString().replace(" ", "");
        if (!now.equals(last)) {
          last = now;
          emit("{\"event\":\"assigned\",\"partitions\":" + now + "}");
        }
        for (ConsumerRecord<byte[], byte[]> r : records) {
          emit("{\"event\":\"record\",\"partition\":" + r.partition() + ",\"offset\":" + r.offset() + ",\"value\":" + b64(r.value()) + "}");
        }
        if (woken.get()) throw new WakeupException(); // the records it returned are committed on the way out
        if (!records.isEmpty()) c.commitSync();
      }
    } catch (WakeupException stop) {
      long t0 = System.currentTimeMillis();
      closing.set("in commitSync (since " + t0 + ")");
      c.commitSync();
      long t1 = System.currentTimeMillis();
      closing.set("in close, after a commitSync of " + (t1 - t0) + " ms");
      c.close();
      emit("{\"event\":\"closed\",\"commitMs\":" + (t1 - t0) + ",\"closeMs\":" + (System.currentTimeMillis() - t1) + "}");
      done.countDown();
    }
  }

  /** SHARE_EARLIEST=1: the group config share.auto.offset.reset=earliest (Kafka's default is latest), set before a member joins. */
  static void shareEarliest(String bootstrap, String groupId) throws Exception {
    try (Admin a = Admin.create(props(bootstrap))) {
      ConfigResource r = new ConfigResource(ConfigResource.Type.GROUP, groupId);
      a.incrementalAlterConfigs(Map.of(r, List.of(new org.apache.kafka.clients.admin.AlterConfigOp(
          new org.apache.kafka.clients.admin.ConfigEntry("share.auto.offset.reset", "earliest"), org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET))))
          .all().get(30, TimeUnit.SECONDS);
    }
    emit("{\"event\":\"earliest\"}");
  }

  /** commitSync of a share consumer's acknowledgements; {"event":"ackError","partition","error"} per partition that failed. */
  static void commitShare(KafkaShareConsumer<byte[], byte[]> c) {
    for (Map.Entry<org.apache.kafka.common.TopicIdPartition, java.util.Optional<org.apache.kafka.common.KafkaException>> e : c.commitSync().entrySet()) {
      if (e.getValue().isPresent()) emit("{\"event\":\"ackError\",\"partition\":" + e.getKey().partition() + ",\"error\":" + str(String.valueOf(e.getValue().get())) + "}");
    }
  }

  /**
   * KIP-932: a KafkaShareConsumer of `topic` in share group `groupId`. Polls until `expected`
   * deliveries were seen (redeliveries count) or none came for `idleMs` (before the first one:
   * for max(idleMs, SHARE_FIRST_MS, default 20000), the join included); prints
   * {"event":"record","partition","offset","key","value","deliveryCount"} per delivery, then
   * closes and prints {"event":"closed","closeMs"} and {"event":"done","deliveries","distinct"}.
   * SHARE_ACK_MODE=implicit (default) | explicit. Explicit: SHARE_ACTION=accept (default) |
   * release-first (RELEASE on delivery 1, ACCEPT on a redelivery) | reject-odd (REJECT odd offsets,
   * ACCEPT the rest) | hold (acknowledge nothing: after the first poll with records it prints
   * {"event":"holding"} and sleeps, heartbeating, until killed), commitSync after each poll.
   * Implicit mode: commitSync before close (SHARE_CLOSE_COMMIT=0: not).
   * SHARE_EARLIEST=1: share.auto.offset.reset=earliest for the group first.
   * SHARE_MAX_POLL_RECORDS: max.poll.records.
   */
  static void share(String bootstrap, String topic, String groupId, String expected, String idleMs) throws Exception {
    if ("1".equals(System.getenv("SHARE_EARLIEST"))) shareEarliest(bootstrap, groupId);
    String mode = System.getenv().getOrDefault("SHARE_ACK_MODE", "implicit");
    String action = System.getenv().getOrDefault("SHARE_ACTION", "accept");
    if (!mode.equals("implicit") && !mode.equals("explicit")) throw new IllegalArgumentException("SHARE_ACK_MODE=" + mode);
    if (!List.of("accept", "release-first", "reject-odd", "hold").contains(action)) throw new IllegalArgumentException("SHARE_ACTION=" + action);
    Properties p = props(bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    p.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, mode);
    String maxPoll = System.getenv("SHARE_MAX_POLL_RECORDS");
    if (maxPoll != null && !maxPoll.isEmpty()) p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPoll);
    boolean explicit = mode.equals("explicit");
    int want = Integer.parseInt(expected);
    long idle = Long.parseLong(idleMs);
    long first = Math.max(idle, Long.parseLong(System.getenv().getOrDefault("SHARE_FIRST_MS", "20000")));
    int deliveries = 0;
    Set<String> distinct = new java.util.HashSet<>();
    KafkaShareConsumer<byte[], byte[]> c = new KafkaShareConsumer<>(p);
    c.subscribe(List.of(topic));
    long lastAt = System.currentTimeMillis();
    boolean any = false;
    while (deliveries < want && System.currentTimeMillis() - lastAt < (any ? idle : first)) {
      ConsumerRecords<byte[], byte[]> records = c.poll(Duration.ofMillis(100));
      for (ConsumerRecord<byte[], byte[]> r : records) {
        int dc = r.deliveryCount().orElse((short) -1);
        emit("{\"event\":\"record\",\"partition\":" + r.partition() + ",\"offset\":" + r.offset() + ",\"key\":" + b64(r.key()) + ",\"value\":" + b64(r.value()) + ",\"deliveryCount\":" + dc + "}");
        deliveries++;
        distinct.add(r.partition() + ":" + r.offset());
        if (!explicit || action.equals("hold")) continue;
        AcknowledgeType type = switch (action) {
          case "release-first" -> dc <= 1 ? AcknowledgeType.RELEASE : AcknowledgeType.ACCEPT;
          case "reject-odd" -> r.offset() % 2 == 1 ? AcknowledgeType.REJECT : AcknowledgeType.ACCEPT;
          default -> AcknowledgeType.ACCEPT;
        };
        c.acknowledge(r, type);
      }
      if (records.isEmpty()) continue;
      any = true;
      lastAt = System.currentTimeMillis();
      if (explicit && action.equals("hold")) {
        emit("{\"event\":\"holding\",\"records\":" + records.count() + ",\"lockMs\":" + c.acquisitionLockTimeoutMs().map(String::valueOf).orElse("null") + "}");
        Thread.sleep(Long.MAX_VALUE);
      }
      if (explicit) commitShare(c);
    }
    // The Java client's close() does not acknowledge the records of the last poll in implicit
    // mode (Kafka releases them, delivery count rolled back): commitSync first, unless
    // SHARE_CLOSE_COMMIT=0 asks to see that.
    if (!explicit && !"0".equals(System.getenv("SHARE_CLOSE_COMMIT"))) commitShare(c);
    long closing = System.currentTimeMillis();
    c.close();
    emit("{\"event\":\"closed\",\"closeMs\":" + (System.currentTimeMillis() - closing) + "}");
    emit("{\"event\":\"done\",\"deliveries\":" + deliveries + ",\"distinct\":" + distinct.size() + "}");
  }

  /** The share group as Admin.describeShareGroups and listGroups (with types) see it. */
  static void shareDescribe(String bootstrap, String groupId) throws Exception {
    try (Admin a = Admin.create(props(bootstrap))) {
      org.apache.kafka.clients.admin.ShareGroupDescription d = a.describeShareGroups(List.of(groupId)).all().get(30, TimeUnit.SECONDS).get(groupId);
      StringBuilder b = new StringBuilder("{\"event\":\"described\",\"groupId\":" + str(d.groupId()) + ",\"state\":" + str(String.valueOf(d.groupState())));
      b.append(",\"groupEpoch\":").append(d.groupEpoch()).append(",\"targetAssignmentEpoch\":").append(d.targetAssignmentEpoch());
      b.append(",\"coordinator\":").append(d.coordinator() == null ? -1 : d.coordinator().id()).append(",\"members\":[");
      boolean firstMember = true;
      for (org.apache.kafka.clients.admin.ShareMemberDescription m : d.members()) {
        if (!firstMember) b.append(',');
        firstMember = false;
        List<String> parts = m.assignment().topicPartitions().stream().map(tp -> str(tp.topic() + ":" + tp.partition())).sorted().toList();
        b.append("{\"memberId\":").append(str(m.consumerId())).append(",\"clientId\":").append(str(m.clientId())).append(",\"epoch\":").append(m.memberEpoch());
        b.append(",\"partitions\":[").append(String.join(",", parts)).append("]}");
      }
      emit(b.append("]}").toString());
      StringBuilder l = new StringBuilder("{\"event\":\"listed\",\"groups\":[");
      boolean firstGroup = true;
      for (org.apache.kafka.clients.admin.GroupListing g : a.listGroups().all().get(30, TimeUnit.SECONDS)) {
        if (!firstGroup) l.append(',');
        firstGroup = false;
        l.append("{\"groupId\":").append(str(g.groupId())).append(",\"type\":").append(str(g.type().map(String::valueOf).orElse(null)));
        l.append(",\"protocol\":").append(str(g.protocol())).append(",\"state\":").append(str(g.groupState().map(String::valueOf).orElse(null))).append('}');
      }
      emit(l.append("]}").toString());
    }
  }

  /** Admin.listShareGroupOffsets of every partition the group has state for: {"event":"offset","topic","partition","startOffset","lag"}. */
  static void shareOffsets(String bootstrap, String groupId) throws Exception {
    try (Admin a = Admin.create(props(bootstrap))) {
      Map<TopicPartition, org.apache.kafka.clients.admin.SharePartitionOffsetInfo> offsets = a.listShareGroupOffsets(Map.of(groupId, new org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec()))
          .partitionsToOffsetInfo(groupId).get(30, TimeUnit.SECONDS);
      List<TopicPartition> tps = new ArrayList<>(offsets.keySet());
      tps.sort((x, y) -> x.topic().equals(y.topic()) ? Integer.compare(x.partition(), y.partition()) : x.topic().compareTo(y.topic()));
      for (TopicPartition tp : tps) {
        org.apache.kafka.clients.admin.SharePartitionOffsetInfo o = offsets.get(tp);
        emit("{\"event\":\"offset\",\"topic\":" + str(tp.topic()) + ",\"partition\":" + tp.partition() + ",\"startOffset\":" + (o == null ? "null" : o.startOffset())
            + ",\"lag\":" + (o == null ? "null" : o.lag().map(String::valueOf).orElse("null")) + "}");
      }
      emit("{\"event\":\"done\",\"partitions\":" + tps.size() + "}");
    }
  }

  /** The outcome of one future: "ok", or the simple name of the exception it failed with. */
  static String outcome(org.apache.kafka.common.KafkaFuture<Void> f) throws InterruptedException {
    try {
      f.get(30, TimeUnit.SECONDS);
      return "ok";
    } catch (ExecutionException e) {
      return e.getCause().getClass().getSimpleName();
    } catch (java.util.concurrent.TimeoutException e) {
      return "TimeoutException";
    }
  }

  /**
   * Admin.alterShareGroupOffsets: `offsets` is "partition:offset,..." of `topic`;
   * {"event":"altered","partition","result"} per partition ("ok" or the exception's simple name).
   */
  static void shareAlterOffsets(String bootstrap, String groupId, String topic, String offsets) throws Exception {
    try (Admin a = Admin.create(props(bootstrap))) {
      Map<TopicPartition, Long> wanted = new HashMap<>();
      for (String po : offsets.split(",")) {
        String[] x = po.split(":");
        wanted.put(new TopicPartition(topic, Integer.parseInt(x[0])), Long.parseLong(x[1]));
      }
      org.apache.kafka.clients.admin.AlterShareGroupOffsetsResult r = a.alterShareGroupOffsets(groupId, wanted);
      for (TopicPartition tp : wanted.keySet().stream().sorted(java.util.Comparator.comparingInt(TopicPartition::partition)).toList()) {
        emit("{\"event\":\"altered\",\"partition\":" + tp.partition() + ",\"result\":" + str(outcome(r.partitionResult(tp))) + "}");
      }
    }
  }

  /** Admin.deleteShareGroupOffsets of the topics "a,b,..."; {"event":"deleted","topic","result"} per topic. */
  static void shareDeleteOffsets(String bootstrap, String groupId, String topics) throws Exception {
    try (Admin a = Admin.create(props(bootstrap))) {
      Set<String> names = new TreeSet<>(List.of(topics.split(",")));
      org.apache.kafka.clients.admin.DeleteShareGroupOffsetsResult r = a.deleteShareGroupOffsets(groupId, names);
      for (String topic : names) emit("{\"event\":\"deleted\",\"topic\":" + str(topic) + ",\"result\":" + str(outcome(r.topicResult(topic))) + "}");
    }
  }

  /**
   * KIP-584 through the admin client (kafka-features.sh does the same): `updates` is
   * name=level:upgrade|safe|unsafe[,...]; updateFeatures (validate-only when `validateOnly` is
   * "validate") prints {"event":"updated","result"} (ok, or the exception's class),
   * then describeFeatures prints {"event":"finalized","features":{name:level}}.
   */
  static void features(String bootstrap, String updates, String validateOnly) throws Exception {
    try (Admin a = Admin.create(props(bootstrap))) {
      Map<String, org.apache.kafka.clients.admin.FeatureUpdate> asked = new java.util.LinkedHashMap<>();
      for (String u : updates.split(",")) {
        String[] nameRest = u.split("=", 2);
        String[] levelType = nameRest[1].split(":", 2);
        org.apache.kafka.clients.admin.FeatureUpdate.UpgradeType type = switch (levelType[1]) {
          case "upgrade" -> org.apache.kafka.clients.admin.FeatureUpdate.UpgradeType.UPGRADE;
          case "safe" -> org.apache.kafka.clients.admin.FeatureUpdate.UpgradeType.SAFE_DOWNGRADE;
          case "unsafe" -> org.apache.kafka.clients.admin.FeatureUpdate.UpgradeType.UNSAFE_DOWNGRADE;
          default -> throw new IllegalArgumentException("upgrade type " + levelType[1]);
        };
        asked.put(nameRest[0], new org.apache.kafka.clients.admin.FeatureUpdate(Short.parseShort(levelType[0]), type));
      }
      org.apache.kafka.clients.admin.UpdateFeaturesOptions options = new org.apache.kafka.clients.admin.UpdateFeaturesOptions().validateOnly(validateOnly.equals("validate"));
      emit("{\"event\":\"updated\",\"result\":" + str(outcome(a.updateFeatures(asked, options).all())) + "}");
      Map<String, org.apache.kafka.clients.admin.FinalizedVersionRange> levels = a.describeFeatures().featureMetadata().get(30, TimeUnit.SECONDS).finalizedFeatures();
      StringBuilder out = new StringBuilder();
      for (Map.Entry<String, org.apache.kafka.clients.admin.FinalizedVersionRange> e : new java.util.TreeMap<>(levels).entrySet()) {
        out.append(out.length() == 0 ? "" : ",").append(str(e.getKey())).append(":").append(e.getValue().maxVersionLevel());
      }
      emit("{\"event\":\"finalized\",\"features\":{" + out + "}}");
    }
  }

  static void txn(String bootstrap, String topic, String txnId) throws Exception {
    Properties p = props(bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txnId);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      producer.initTransactions();
      String[][] steps = {{"commit1", "commit"}, {"abort", "abort"}, {"commit2", "commit"}};
      for (String[] step : steps) {
        producer.beginTransaction();
        for (int i = 0; i < 6; i++) {
          producer.send(new ProducerRecord<>(topic, i % 2, ("k" + i).getBytes(StandardCharsets.UTF_8), (step[0] + "-" + i).getBytes(StandardCharsets.UTF_8)));
        }
        producer.flush();
        if (step[1].equals("commit")) producer.commitTransaction();
        else producer.abortTransaction();
        emit("{\"step\":\"txn\",\"outcome\":\"" + step[1] + "\"}");
      }
    }
  }

  /**
   * The security tests (compat-tests/security.test.ts): the client properties come from a file
   * (security.protocol, sasl.*, ssl.*, as a Kafka user writes client.properties). Describes the
   * cluster with the admin client, produces `count` records to partition 0 and reads them back;
   * prints {"ok":true,"nodes":N,"values":[...]} or {"ok":false,"error":"Class: message"} with the
   * innermost cause, the way a Java user sees it.
   */
  static void secure(String propsFile, String topic, String count) {
    int want = Integer.parseInt(count);
    try {
      Properties p = new Properties();
      try (java.io.FileReader in = new java.io.FileReader(propsFile, StandardCharsets.UTF_8)) {
        p.load(in);
      }
      int nodes;
      try (Admin a = Admin.create(p)) {
        nodes = a.describeCluster().nodes().get(30, TimeUnit.SECONDS).size();
      }
      String tag = Long.toString(System.nanoTime());
      Properties pp = new Properties();
      pp.putAll(p);
      pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp)) {
        for (int i = 0; i < want; i++) producer.send(new ProducerRecord<>(topic, 0, null, (tag + "-" + i).getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
      }
      Properties cp = new Properties();
      cp.putAll(p);
      cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      List<String> values = new ArrayList<>();
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cp)) {
        TopicPartition tp = new TopicPartition(topic, 0);
        c.assign(List.of(tp));
        c.seekToBeginning(List.of(tp));
        for (long deadline = System.currentTimeMillis() + 30000; values.size() < want && System.currentTimeMillis() < deadline; ) {
          for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
            String v = new String(r.value(), StandardCharsets.UTF_8);
            if (v.startsWith(tag + "-")) values.add(str(v.substring(tag.length() + 1)));
          }
        }
      }
      emit("{\"ok\":true,\"nodes\":" + nodes + ",\"values\":" + values + "}");
    } catch (Exception e) {
      Throwable cause = e;
      while (cause.getCause() != null) cause = cause.getCause();
      emit("{\"ok\":false,\"error\":" + str(cause.getClass().getSimpleName() + ": " + cause.getMessage()) + "}");
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, Integer> arity = Map.ofEntries(Map.entry("admin", 2), Map.entry("produce", 4), Map.entry("read", 5), Map.entry("group", 3), Map.entry("txn", 3),
        Map.entry("failover", 3), Map.entry("cluster-admin", 2), Map.entry("ctp", 6), Map.entry("secure", 3), Map.entry("telemetry", 4),
        Map.entry("share", 5), Map.entry("share-describe", 2), Map.entry("share-offsets", 2), Map.entry("share-alter-offsets", 4), Map.entry("share-delete-offsets", 3), Map.entry("features", 3));
    // group takes an optional fourth argument: the group protocol (classic, the default, or consumer).
    boolean groupProtocol = args.length == 5 && args[0].equals("group");
    if (args.length == 0 || !arity.containsKey(args[0]) || (args.length != arity.get(args[0]) + 1 && !groupProtocol)) {
      System.err.println("usage: ClientDriver admin|produce|read|group|txn|failover|cluster-admin|ctp|telemetry|share|share-describe|share-offsets|share-alter-offsets|share-delete-offsets|features <bootstrap> ... | secure <client.properties> <topic> <count>");
      System.exit(2);
    }
    switch (args[0]) {
      case "admin" -> admin(args[1], args[2]);
      case "produce" -> produce(args[1], args[2], args[3], args[4]);
      case "read" -> read(args[1], args[2], args[3], args[4], args[5]);
      case "group" -> group(args[1], args[2], args[3], groupProtocol ? args[4] : "classic");
      case "txn" -> txn(args[1], args[2], args[3]);
      case "failover" -> failover(args[1], args[2], args[3]);
      case "cluster-admin" -> clusterAdmin(args[1], args[2]);
      case "ctp" -> ctp(args[1], args[2], args[3], args[4], args[5], args[6]);
      case "secure" -> secure(args[1], args[2], args[3]);
      case "telemetry" -> telemetry(args[1], args[2], args[3], args[4]);
      case "share" -> share(args[1], args[2], args[3], args[4], args[5]);
      case "share-describe" -> shareDescribe(args[1], args[2]);
      case "share-offsets" -> shareOffsets(args[1], args[2]);
      case "share-alter-offsets" -> shareAlterOffsets(args[1], args[2], args[3], args[4]);
      case "share-delete-offsets" -> shareDeleteOffsets(args[1], args[2], args[3]);
      case "features" -> features(args[1], args[2], args[3]);
      default -> throw new IllegalStateException();
    }
    if (!args[0].equals("group")) System.exit(0);
  }
}
