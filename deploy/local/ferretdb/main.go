// Command hub-ferretdb runs FerretDB v1 (a MongoDB wire-compatible server on
// SQLite) for the local stack. It embeds the library instead of using
// `go install .../cmd/ferretdb` because that binary panics at start without
// build/version/version.txt (FerretDB issue #2982).
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dir := flag.String("dir", "", "SQLite data directory (created if missing)")
	// WAL with synchronous=NORMAL acknowledges a write once it is in the
	// write-ahead log, without an fsync per transaction: safe against a
	// process crash, not a power cut — the same promise as MongoDB's default
	// write concern (journal flushed every 100 ms). FULL fsyncs every commit.
	sync := flag.String("sync", "normal", "SQLite synchronous pragma: off, normal or full")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatalf("create data dir: %v", err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/?_pragma=synchronous(" + *sync + ")",
	})
	if err != nil {
		log.Fatalf("ferretdb: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go keepIDIndexes(ctx, *dir, 500*time.Millisecond)
	log.Printf("ferretdb listening on %s, data in %s", *listen, *dir)
	f.Run(ctx)
}
