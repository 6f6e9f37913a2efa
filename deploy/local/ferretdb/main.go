// Command hub-ferretdb runs FerretDB v1 (a MongoDB wire-compatible server on
// SQLite) for the local stack. It embeds the library instead of using
// `go install .../cmd/ferretdb` because that binary panics at start without
// build/version/version.txt (FerretDB issue #2982).
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
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
	// Go's CPU and heap profiles (/debug/pprof/) for finding where FerretDB's
	// time goes under a benchmark; off unless an address is given.
	pprofAddr := flag.String("pprof", os.Getenv("HUB_FERRETDB_PPROF"), "address for /debug/pprof/ (empty: off)")
	// Go's collector ran ~9 % of FerretDB's CPU under the pipeline benchmark
	// (every insert allocates its document several times over) with a live
	// heap of only tens of MB: collecting at 4x the live heap instead of 2x
	// halves that for a few tens of MB. GOGC in the environment still wins.
	gogc := flag.Int("gogc", 400, "Go GC target percentage (GOGC), unless GOGC is set")
	flag.Parse()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(*gogc)
	}
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatalf("create data dir: %v", err)
	}

	// Found with -pprof under the pipeline benchmark: statement journals
	// (every insert into a table with a unique index inside FerretDB's
	// transaction) went to temporary files, 9 % of the CPU in pwrite/open/
	// close; checkpoints every 1,000 WAL pages ran inside whichever insert
	// committed that page and fsynced often; the 2 MB page cache re-read
	// index pages. So: memory for temporary data; checkpoints in the
	// background every tick of tendDatabaseFiles (database_files.go), with
	// wal_autocheckpoint at 16,000 pages (~64 MB) only as a backstop; a
	// 16 MB cache per connection.
	tuning := "&_pragma=temp_store(memory)&_pragma=wal_autocheckpoint(16000)&_pragma=cache_size(-16384)"
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    newLazyLogger(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/?_pragma=synchronous(" + *sync + ")" + tuning,
	})
	if err != nil {
		log.Fatalf("ferretdb: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *pprofAddr != "" {
		go func() { log.Printf("pprof: %v", http.ListenAndServe(*pprofAddr, nil)) }()
	}
	go tendDatabaseFiles(ctx, *dir, 250*time.Millisecond)
	log.Printf("ferretdb listening on %s, data in %s", *listen, *dir)
	f.Run(ctx)
}
