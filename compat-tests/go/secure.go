package main

// The security tests' command (compat-tests/security.test.ts): secure <bootstrap> <topic> <count>
// <mechanism> <user> <password> <ca.pem>, over SASL_SSL with franz-go's sasl/plain and
// sasl/scram. Produces count records to partition 0, reads them back and prints
// {"ok":true,"values":[...]} or {"ok":false,"error":"..."}.

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

func secure(bootstrap, topic, count, mechanism, user, password, caFile string) {
	want, _ := strconv.Atoi(count)
	bad := func(err error) {
		emit(map[string]any{"ok": false, "error": err.Error()})
		os.Exit(0)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		bad(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	var m sasl.Mechanism
	switch mechanism {
	case "PLAIN":
		m = plain.Auth{User: user, Pass: password}.AsMechanism()
	case "SCRAM-SHA-256":
		m = scram.Auth{User: user, Pass: password}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		m = scram.Auth{User: user, Pass: password}.AsSha512Mechanism()
	default:
		fail("unknown mechanism %s", mechanism)
	}
	cl := client(bootstrap, kgo.DialTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}), kgo.SASL(m),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.AllowAutoTopicCreation(), kgo.RecordRetries(1))
	defer cl.Close()
	tag := strconv.FormatInt(time.Now().UnixNano(), 10)
	for i := 0; i < want; i++ {
		r := &kgo.Record{Topic: topic, Partition: 0, Value: []byte(tag + "-" + strconv.Itoa(i))}
		if err := cl.ProduceSync(timeout(20*time.Second), r).FirstErr(); err != nil {
			bad(err)
		}
	}
	rd := client(bootstrap, kgo.DialTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}), kgo.SASL(m),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	defer rd.Close()
	values := []string{}
	deadline := time.Now().Add(20 * time.Second)
	for len(values) < want && time.Now().Before(deadline) {
		fs := rd.PollFetches(timeout(2 * time.Second))
		for _, e := range fs.Errors() {
			if e.Err != nil && !strings.Contains(e.Err.Error(), "context deadline exceeded") {
				bad(e.Err)
			}
		}
		fs.EachRecord(func(r *kgo.Record) {
			if v := string(r.Value); strings.HasPrefix(v, tag+"-") {
				values = append(values, v[len(tag)+1:])
			}
		})
	}
	emit(map[string]any{"ok": true, "values": values})
}
