// A franz-go kfake cluster of one broker, in memory, on 127.0.0.1, for bench/e2e.ts: the
// benchmark's in-memory peer written in Go. It prints one line, "ready <host:port>", once the
// broker listens, and runs until SIGTERM, SIGINT or its stdin closes.
//
//	kfake-bench [-port N]
//
// Nothing else is configured: topics are created by the benchmark with CreateTopics and deleted
// with DeleteTopics, as on the real brokers; kfake keeps every record in memory (no DataDir).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	port := flag.Int("port", 0, "client port on 127.0.0.1 (0: any free port)")
	flag.Parse()

	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(*port))
	if err != nil {
		fmt.Fprintf(os.Stderr, "kfake: %v\n", err)
		os.Exit(1)
	}
	defer c.Close()
	fmt.Printf("ready %s\n", c.ListenAddrs()[0])

	done := make(chan struct{}, 2)
	go func() {
		io.Copy(io.Discard, os.Stdin)
		done <- struct{}{}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		done <- struct{}{}
	}()
	<-done
}
