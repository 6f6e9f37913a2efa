package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func open(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// createCollection makes a table the way FerretDB 1.24 does: a JSON column
// and a unique `_id` index named <table>__id_ on `_ferretdb_sjson->"_id"`.
func createCollection(t *testing.T, path, table string) {
	t.Helper()
	db := open(t, path)
	for _, q := range []string{
		`CREATE TABLE ` + quote(table) + ` (_ferretdb_sjson TEXT)`,
		`CREATE UNIQUE INDEX ` + quote(table+"__id_") + ` ON ` + quote(table) + ` (_ferretdb_sjson->"_id")`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

// lookupUsesIndex: FerretDB's own `_id` lookup is an index search, the index is still unique and alone.
func lookupUsesIndex(t *testing.T, path, table string) bool {
	t.Helper()
	db := open(t, path)
	var plan strings.Builder
	rows, err := db.Query(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM `+quote(table)+` WHERE _ferretdb_sjson->'$._id' = ?`, `"x"`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(detail + "\n")
	}
	rows.Close()
	var indexes int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = ?`, table).Scan(&indexes); err != nil {
		t.Fatal(err)
	}
	if indexes != 1 {
		t.Fatalf("%s has %d indexes, want 1", table, indexes)
	}
	return strings.Contains(plan.String(), "USING INDEX "+table+"__id_")
}

func TestIndexFileReplacesTheIDIndexOfNewTablesAndRecreatedFiles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	watched := map[string]*watchedFile{}
	defer func() {
		for _, w := range watched {
			w.db.Close()
		}
	}()

	createCollection(t, path, "a_1")
	if lookupUsesIndex(t, path, "a_1") {
		t.Fatal("precondition: FerretDB's own index should not serve its lookups")
	}
	if err := indexFile(ctx, watched, path); err != nil {
		t.Fatal(err)
	}
	if !lookupUsesIndex(t, path, "a_1") {
		t.Fatal("a_1: lookup by _id does not use the index")
	}
	db := open(t, path)
	if _, err := db.Exec(`INSERT INTO a_1 VALUES ('{"_id":"k"}')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO a_1 VALUES ('{"_id":"k"}')`); err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Fatalf("duplicate _id accepted after the swap: %v", err)
	}

	createCollection(t, path, "b_2") // a schema change seen through the kept connection
	for i := 0; i < 2; i++ {
		if err := indexFile(ctx, watched, path); err != nil {
			t.Fatal(err)
		}
	}
	if !lookupUsesIndex(t, path, "b_2") {
		t.Fatal("b_2: lookup by _id does not use the index")
	}

	// The database dropped and created again under the same name.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	createCollection(t, path, "c_3")
	if err := indexFile(ctx, watched, path); err != nil {
		t.Fatal(err)
	}
	if !lookupUsesIndex(t, path, "c_3") {
		t.Fatal("c_3 in the re-created file: lookup by _id does not use the index")
	}
}
