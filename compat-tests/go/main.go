// Driver for franz-go (kgo and kadm): the command line of compat-tests/newest-clients.ts (admin,
// produce, read, group, txn), one JSON object per stdout line. Built by .ci/run into
// .cache/franz-driver; run by compat-tests/franz-go.test.ts.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func emit(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		fail("json: %v", err)
	}
	os.Stdout.Write(append(b, '\n'))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func b64(b []byte) *string {
	if b == nil {
		return nil
	}
	s := base64.StdEncoding.EncodeToString(b)
	return &s
}

func unb64(s *string) []byte {
	if s == nil {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(*s)
	if err != nil {
		fail("base64: %v", err)
	}
	return b
}

func timeout(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	time.AfterFunc(d, cancel)
	return ctx
}

func client(bootstrap string, opts ...kgo.Opt) *kgo.Client {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(bootstrap)}, opts...)...)
	if err != nil {
		fail("client: %v", err)
	}
	return cl
}

func admin(bootstrap, topic string) {
	cl := client(bootstrap)
	defer cl.Close()
	adm := kadm.NewClient(cl)
	retention := "7200000"
	created, err := adm.CreateTopics(timeout(30*time.Second), 3, 1, map[string]*string{"retention.ms": &retention}, topic)
	if err == nil {
		err = created.Error()
	}
	if err != nil {
		fail("create: %v", err)
	}
	emit(map[string]any{"step": "created"})
	// CreateTopics answers once the controller committed the topic; the broker a Metadata request
	// reaches may learn of it a moment later (as with Kafka), so the first describes may not see it.
	details, err := adm.ListTopics(timeout(30*time.Second), topic)
	for tries := 0; tries < 50 && err == nil && errors.Is(details[topic].Err, kerr.UnknownTopicOrPartition); tries++ {
		time.Sleep(100 * time.Millisecond)
		details, err = adm.ListTopics(timeout(30*time.Second), topic)
	}
	if err != nil || details[topic].Err != nil {
		fail("describe: %v %v", err, details[topic].Err)
	}
	emit(map[string]any{"step": "described", "partitions": len(details[topic].Partitions)})
	configs, err := adm.DescribeTopicConfigs(timeout(30*time.Second), topic)
	if err != nil {
		fail("describe configs: %v", err)
	}
	rc, err := configs.On(topic, nil)
	if err != nil || rc.Err != nil {
		fail("describe configs: %v %v", err, rc.Err)
	}
	out := map[string]any{"step": "configs"}
	for _, c := range rc.Configs {
		if (c.Key == "retention.ms" || c.Key == "cleanup.policy") && c.Value != nil {
			out[c.Key] = *c.Value
		}
	}
	emit(out)
	deleted, err := adm.DeleteTopics(timeout(30*time.Second), topic)
	if err == nil {
		err = deleted.Error()
	}
	if err != nil {
		fail("delete: %v", err)
	}
	listed := true
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		all, err := adm.ListTopics(timeout(10 * time.Second))
		if err != nil {
			fail("list: %v", err)
		}
		if listed = all.Has(topic); !listed {
			break
		}
	}
	emit(map[string]any{"step": "deleted", "listed": listed})
}

type inRecord struct {
	Partition int32       `json:"partition"`
	Key       *string     `json:"key"`
	Value     *string     `json:"value"`
	Headers   [][2]string `json:"headers"`
}

var codecs = map[string]kgo.CompressionCodec{
	"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
	"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
}

func produce(bootstrap, topic, codec, idempotent string) {
	c, ok := codecs[codec]
	if !ok {
		fail("unknown codec %s", codec)
	}
	opts := []kgo.Opt{kgo.ProducerBatchCompression(c), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(5 * time.Millisecond)}
	if idempotent != "1" {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	cl := client(bootstrap, opts...)
	defer cl.Close()
	var records []*kgo.Record
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var r inRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			fail("input: %v", err)
		}
		rec := &kgo.Record{Topic: topic, Partition: r.Partition, Key: unb64(r.Key), Value: unb64(r.Value)}
		for _, h := range r.Headers {
			v := h[1]
			rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: h[0], Value: unb64(&v)})
		}
		records = append(records, rec)
	}
	if err := cl.ProduceSync(timeout(60*time.Second), records...).FirstErr(); err != nil {
		fail("produce: %v", err)
	}
	emit(map[string]any{"step": "produced", "count": len(records)})
}

func isolation(name string) kgo.IsolationLevel {
	if name == "read_committed" {
		return kgo.ReadCommitted()
	}
	return kgo.ReadUncommitted()
}

func outRecord(r *kgo.Record) map[string]any {
	headers := [][2]string{}
	for _, h := range r.Headers {
		headers = append(headers, [2]string{h.Key, base64.StdEncoding.EncodeToString(h.Value)})
	}
	return map[string]any{"partition": r.Partition, "offset": r.Offset, "key": b64(r.Key), "value": b64(r.Value), "headers": headers}
}

func read(bootstrap, topic, partitions, iso, count string) {
	n, _ := strconv.Atoi(partitions)
	want, _ := strconv.Atoi(count)
	offsets := map[int32]kgo.Offset{}
	for p := 0; p < n; p++ {
		offsets[int32(p)] = kgo.NewOffset().AtStart()
	}
	cl := client(bootstrap, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}), kgo.FetchIsolationLevel(isolation(iso)))
	defer cl.Close()
	got := 0
	deadline := time.Now().Add(60 * time.Second)
	var stopAt time.Time
	for time.Now().Before(deadline) && (stopAt.IsZero() || time.Now().Before(stopAt)) {
		fetches := cl.PollFetches(timeout(200 * time.Millisecond))
		fetches.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				fail("fetch %s-%d: %v", t, p, err)
			}
		})
		fetches.EachRecord(func(r *kgo.Record) {
			emit(outRecord(r))
			got++
		})
		if got >= want && stopAt.IsZero() {
			stopAt = time.Now().Add(time.Second)
		}
	}
	if got < want {
		fail("read %d of %d records", got, want)
	}
}

func group(bootstrap, topic, groupID string) {
	var mu sync.Mutex
	owned := map[int32]bool{}
	change := func(parts map[string][]int32, add bool) {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range parts[topic] {
			if add {
				owned[p] = true
			} else {
				delete(owned, p)
			}
		}
	}
	cl := client(bootstrap,
		kgo.ConsumerGroup(groupID), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.SessionTimeout(10*time.Second), kgo.HeartbeatInterval(500*time.Millisecond),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { change(m, true) }),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { change(m, false) }),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { change(m, false) }),
	)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	last := "unset"
	for {
		select {
		case <-stop:
			if err := cl.CommitUncommittedOffsets(timeout(10 * time.Second)); err != nil {
				fmt.Fprintf(os.Stderr, "final commit: %v\n", err)
			}
			cl.AllowRebalance()
			cl.Close()
			emit(map[string]any{"event": "closed"})
			return
		default:
		}
		fetches := cl.PollFetches(timeout(200 * time.Millisecond))
		mu.Lock()
		parts := []int{}
		for p := range owned {
			parts = append(parts, int(p))
		}
		mu.Unlock()
		sort.Ints(parts)
		if key := fmt.Sprint(parts); key != last {
			last = key
			emit(map[string]any{"event": "assigned", "partitions": parts})
		}
		n := 0
		fetches.EachRecord(func(r *kgo.Record) {
			emit(map[string]any{"event": "record", "partition": r.Partition, "offset": r.Offset, "value": b64(r.Value)})
			n++
		})
		if n > 0 {
			if err := cl.CommitUncommittedOffsets(timeout(10 * time.Second)); err != nil {
				fail("commit: %v", err)
			}
		}
		cl.AllowRebalance()
	}
}

func txn(bootstrap, topic, txnID string) {
	cl := client(bootstrap, kgo.TransactionalID(txnID), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	defer cl.Close()
	for _, step := range []struct{ prefix, outcome string }{{"commit1", "commit"}, {"abort", "abort"}, {"commit2", "commit"}} {
		if err := cl.BeginTransaction(); err != nil {
			fail("begin: %v", err)
		}
		var records []*kgo.Record
		for i := 0; i < 6; i++ {
			records = append(records, &kgo.Record{Topic: topic, Partition: int32(i % 2), Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("%s-%d", step.prefix, i))})
		}
		if err := cl.ProduceSync(timeout(30*time.Second), records...).FirstErr(); err != nil {
			fail("produce: %v", err)
		}
		commit := kgo.TryCommit
		if step.outcome == "abort" {
			commit = kgo.TryAbort
		}
		if err := cl.EndTransaction(timeout(30*time.Second), commit); err != nil {
			fail("end transaction: %v", err)
		}
		emit(map[string]any{"step": "txn", "outcome": step.outcome})
	}
}

// clusterAdmin prints the cluster seen by the admin client: the brokers, a topic with replication
// factor 3 and one with explicit assignments, described with leaders and ISRs once every
// partition has a leader.
func clusterAdmin(bootstrap, topic string) {
	cl := client(bootstrap)
	defer cl.Close()
	adm := kadm.NewClient(cl)
	meta, err := adm.BrokerMetadata(timeout(30 * time.Second))
	if err != nil {
		fail("broker metadata: %v", err)
	}
	var ids []int32
	for _, b := range meta.Brokers {
		ids = append(ids, b.NodeID)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	emit(map[string]any{"step": "cluster", "brokers": ids})
	created, err := adm.CreateTopics(timeout(30*time.Second), 3, 3, nil, topic+"-rf3")
	if err == nil {
		err = created.Error()
	}
	if err != nil {
		fail("create rf3: %v", err)
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 30000
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic = topic + "-assigned"
	t.NumPartitions = -1
	t.ReplicationFactor = -1
	for p, replicas := range [][]int32{{ids[1], ids[2], ids[0]}, {ids[2], ids[0], ids[1]}} {
		a := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
		a.Partition = int32(p)
		a.Replicas = replicas
		t.ReplicaAssignment = append(t.ReplicaAssignment, a)
	}
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(timeout(30*time.Second), cl)
	if err == nil && len(resp.Topics) == 1 && resp.Topics[0].ErrorCode != 0 {
		err = fmt.Errorf("error code %d", resp.Topics[0].ErrorCode)
	}
	if err != nil {
		fail("create assigned: %v", err)
	}
	for _, name := range []string{topic + "-rf3", topic + "-assigned"} {
		var parts []kadm.PartitionDetail
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			parts = nil
			details, err := adm.ListTopics(timeout(10*time.Second), name)
			led := err == nil && details[name].Err == nil && len(details[name].Partitions) > 0
			if err == nil {
				for _, p := range details[name].Partitions.Sorted() {
					parts = append(parts, p)
					led = led && p.Leader >= 0
				}
			}
			if led || time.Now().After(deadline) {
				break
			}
		}
		var out []map[string]any
		for _, p := range parts {
			out = append(out, map[string]any{"partition": p.Partition, "leader": p.Leader, "replicas": p.Replicas, "isr": p.ISR})
		}
		emit(map[string]any{"step": "topic", "name": name, "partitions": out})
	}
}

// ctp is a consume-transform-produce loop, exactly once, with franz-go's GroupTransactSession: a
// read_committed group consumer of src; per poll, a transaction writes "in-N" as "out-N" to the
// same partition of dst and commits the consumer's positions with it (a failed or aborted
// transaction rewinds the session to the committed offsets). Ends once src holds `count` records
// and the group has committed the end of every partition of it.
func ctp(bootstrap, src, dst, group, txnID, count string) {
	want, err := strconv.ParseInt(count, 10, 64)
	if err != nil {
		fail("count: %v", err)
	}
	open := func() (*kgo.GroupTransactSession, *kadm.Client) {
		sess, err := kgo.NewGroupTransactSession(
			kgo.SeedBrokers(bootstrap), kgo.TransactionalID(txnID), kgo.ConsumerGroup(group), kgo.ConsumeTopics(src),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
			kgo.RequireStableFetchOffsets(), kgo.SessionTimeout(10*time.Second), kgo.HeartbeatInterval(500*time.Millisecond),
		)
		if err != nil {
			fail("session: %v", err)
		}
		return sess, kadm.NewClient(sess.Client())
	}
	sess, adm := open()
	defer func() { sess.Close() }()
	// kgo: "No returned error [of End] is retryable ... odds are you should not continue": an
	// application starts a new session (its InitProducerId fences the old one), and so does this.
	restart := func(why string) {
		emit(map[string]any{"restart": why})
		sess.Close()
		sess, adm = open()
	}
	total := 0
	for deadline := time.Now().Add(240 * time.Second); time.Now().Before(deadline); {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		fetches := sess.PollFetches(ctx)
		cancel()
		records := fetches.Records()
		if len(records) == 0 {
			ends, err1 := adm.ListEndOffsets(timeout(10*time.Second), src)
			committed, err2 := adm.FetchOffsets(timeout(10*time.Second), group)
			if err1 == nil && err2 == nil {
				all, inputs := true, int64(0)
				ends.Each(func(e kadm.ListedOffset) {
					inputs += e.Offset
					c, ok := committed.Lookup(src, e.Partition)
					all = all && ok && c.Err == nil && c.At >= e.Offset
				})
				if all && inputs >= want {
					break
				}
			}
			continue
		}
		if err := sess.Begin(); err != nil {
			restart(fmt.Sprintf("begin: %v", err))
			continue
		}
		var out []*kgo.Record
		for _, r := range records {
			out = append(out, &kgo.Record{Topic: dst, Partition: r.Partition, Key: r.Key, Value: append([]byte("out-"), r.Value[3:]...)})
		}
		produceErr := sess.ProduceSync(timeout(60*time.Second), out...).FirstErr()
		try := kgo.TryCommit
		if produceErr != nil {
			try = kgo.TryAbort
		}
		committed, err := sess.End(timeout(60*time.Second), try)
		if committed && produceErr == nil && err == nil {
			total += len(records)
			emit(map[string]any{"committed": len(records), "total": total})
		} else {
			emit(map[string]any{"error": fmt.Sprintf("produce: %v, end: %v, committed %v", produceErr, err, committed)})
			if err != nil {
				restart(fmt.Sprintf("end: %v", err))
			}
		}
	}
	emit(map[string]any{"step": "done", "total": total})
}

// failover sends one record at a time to partition 0, idempotent with acks=all, each awaited,
// and prints {"acked": v} or {"failed": v} per record while the test kills the partition's leader.
func failover(bootstrap, topic, count string) {
	n, err := strconv.Atoi(count)
	if err != nil {
		fail("count: %v", err)
	}
	cl := client(bootstrap, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordDeliveryTimeout(90*time.Second))
	defer cl.Close()
	for i := 0; i < n; i++ {
		v := fmt.Sprintf("f-%d", i)
		if err := cl.ProduceSync(timeout(120*time.Second), &kgo.Record{Topic: topic, Partition: 0, Value: []byte(v)}).FirstErr(); err != nil {
			emit(map[string]any{"failed": v, "error": err.Error()})
		} else {
			emit(map[string]any{"acked": v})
		}
		time.Sleep(5 * time.Millisecond)
	}
	emit(map[string]any{"step": "done"})
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: franz-driver admin|produce|read|group|txn|failover|cluster-admin|ctp <bootstrap> ...")
	}
	a := os.Args[2:]
	need := map[string]int{"admin": 2, "produce": 4, "read": 5, "group": 3, "txn": 3, "failover": 3, "cluster-admin": 2, "ctp": 6, "secure": 7}[os.Args[1]]
	if need == 0 || len(a) != need {
		fail("bad arguments for %s", os.Args[1])
	}
	switch os.Args[1] {
	case "admin":
		admin(a[0], a[1])
	case "produce":
		produce(a[0], a[1], a[2], a[3])
	case "read":
		read(a[0], a[1], a[2], a[3], a[4])
	case "group":
		group(a[0], a[1], a[2])
	case "txn":
		txn(a[0], a[1], a[2])
	case "failover":
		failover(a[0], a[1], a[2])
	case "cluster-admin":
		clusterAdmin(a[0], a[1])
	case "ctp":
		ctp(a[0], a[1], a[2], a[3], a[4], a[5])
	case "secure":
		secure(a[0], a[1], a[2], a[3], a[4], a[5], a[6])
	}
}
