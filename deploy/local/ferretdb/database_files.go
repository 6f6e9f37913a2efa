package main

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the driver FerretDB itself uses
)

// FerretDB 1.24 looks documents up by `_id` (finds, updates, deletes) with
// `WHERE _ferretdb_sjson->'$._id' = ?`, but creates its unique `_id` index
// on `_ferretdb_sjson->"_id"`. SQLite only uses an expression index whose
// expression matches the query's, so every lookup by `_id` scanned the whole
// table (18 ms at 50,000 documents here, growing with the table). This
// replaces that index, under the same name and still unique, by one on the
// query's own expression: the same values (both are the `->` operator on
// the same key), so the same uniqueness, and lookups become index searches.
// FerretDB never notices: it keeps its index list in its own metadata and
// recognises duplicates by SQLite's error code, not by the index. (An
// earlier version added a second index beside FerretDB's; every insert
// then paid for two.)
//
// tendDatabaseFiles does that for every database file, and checkpoints
// each file's write-ahead log (see checkpoint), once per tick.
func tendDatabaseFiles(ctx context.Context, dir string, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	watched := map[string]*watchedFile{}
	defer func() {
		for _, w := range watched {
			w.db.Close()
		}
	}()
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		present := map[string]bool{}
		for _, f := range files {
			present[f] = true
			if err := indexFile(ctx, watched, f); err != nil && ctx.Err() == nil {
				log.Printf("id index: %s: %v", filepath.Base(f), err)
			}
			if w := watched[f]; w != nil {
				checkpoint(ctx, w.db, f)
			}
		}
		for f, w := range watched {
			if !present[f] {
				w.db.Close()
				delete(watched, f)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// watchedFile keeps one connection per database file, so each tick costs a
// `PRAGMA schema_version` instead of opening the file and reading its whole
// schema again (that was 8 % of FerretDB's CPU under load); tables are only
// listed when the schema changed.
type watchedFile struct {
	db            *sql.DB
	info          os.FileInfo
	schemaVersion int64
}

func indexFile(ctx context.Context, watched map[string]*watchedFile, path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return nil // dropped meanwhile
	}
	w := watched[path]
	if w != nil && !os.SameFile(w.info, info) { // dropped and created again
		w.db.Close()
		delete(watched, path)
		w = nil
	}
	if w == nil {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
		if err != nil {
			return err
		}
		db.SetMaxOpenConns(1)
		w = &watchedFile{db: db, info: info, schemaVersion: -1}
		watched[path] = w
	}
	var version int64
	if err := w.db.QueryRowContext(ctx, `PRAGMA schema_version`).Scan(&version); err != nil {
		return err
	}
	if version == w.schemaVersion {
		return nil
	}
	// Tables whose `_id` index still has FerretDB's expression.
	rows, err := w.db.QueryContext(ctx, `SELECT t.name FROM sqlite_master t JOIN sqlite_master i ON i.type = 'index' AND i.tbl_name = t.name AND i.name = t.name || '__id_'
		WHERE t.type = 'table' AND t.name NOT LIKE '\_ferretdb\_%' ESCAPE '\' AND t.name NOT LIKE 'sqlite\_%' ESCAPE '\'
		AND instr(i.sql, '$._id') = 0`)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, name)
	}
	rows.Close()
	for _, table := range tables {
		if err := replaceIDIndex(ctx, w.db, table); err != nil && !strings.Contains(err.Error(), "no such") {
			return err
		}
	}
	// Our own index change bumps the version: list once more on the next
	// tick (finding nothing) rather than trusting a version read after a
	// table may have been created meanwhile. A table whose `_id` index
	// FerretDB has not created yet is listed again on the next change.
	if len(tables) > 0 {
		version = -1
	}
	w.schemaVersion = version
	return nil
}

// replaceIDIndex swaps the index in one transaction, so `_id` is never
// without a unique index.
func replaceIDIndex(ctx context.Context, db *sql.DB, table string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	for _, q := range []string{
		fmt.Sprintf(`DROP INDEX IF EXISTS %s`, quote(table+"__id_lookup")), // left by the earlier version
		fmt.Sprintf(`DROP INDEX %s`, quote(table+"__id_")),
		fmt.Sprintf(`CREATE UNIQUE INDEX %s ON %s (_ferretdb_sjson->'$._id')`, quote(table+"__id_"), quote(table)),
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// checkpoint copies the write-ahead log into the database file in the
// background. FerretDB's connections run with a large wal_autocheckpoint
// (see main.go) only as a backstop: left to them, a checkpoint runs inside
// whichever insert happened to commit the 1,000th page, adding tens of
// milliseconds to that request. PASSIVE never waits for readers or writers.
func checkpoint(ctx context.Context, db *sql.DB, path string) {
	var busy, logPages, done int
	if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logPages, &done); err != nil && ctx.Err() == nil {
		log.Printf("checkpoint: %s: %v", filepath.Base(path), err)
	}
}

func quote(ident string) string {
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}
