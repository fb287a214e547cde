// Command ferretdb runs an embedded FerretDB v1 (SQLite backend) as a local
// MongoDB-compatible server for development and tests. The upstream
// cmd/ferretdb binary cannot be built with `go install` (its version file is
// generated), so we embed the library package instead.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data", "./.data/ferretdb", "directory for SQLite files")
	flag.Parse()

	abs, err := filepath.Abs(*dataDir)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		log.Fatal(err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		// WAL with synchronous=NORMAL: no fsync per commit (an fsync costs ~10 ms here and made every
		// write that slow). Still safe when a process crashes; only an OS crash can lose the last
		// commits, the usual trade-off for a local development and test server.
		SQLiteURL: "file:" + abs + "/?_pragma=synchronous(normal)",
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	// The parent process waits for this line before connecting.
	fmt.Printf("ferretdb listening on %s (data %s)\n", *listen, abs)
	if err := <-done; err != nil && ctx.Err() == nil {
		log.Fatal(err)
	}
}
