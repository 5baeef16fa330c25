package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"strings"
)

// Writes insert many rows per statement: with modernc.org/sqlite a
// statement per row costs several times more than the row itself.

// valuesSQL is an INSERT of several rows in one statement: head, VALUES
// with a group of cols placeholders per row, then tail.
type valuesSQL struct {
	head string
	cols int
	tail string
}

// maxValuesRows is the most rows one statement carries: 128 rows of the
// widest insert are 2,304 parameters, far below the limits of SQLite
// (32,766) and PostgreSQL (65,535). A batch is cut into statements of
// maxValuesRows rows and then of powers of two (37 rows: 32, 4, 1), so that
// each query has at most eight forms, each prepared once per Store.
const maxValuesRows = 128

func (q *valuesSQL) query(rows int) string {
	var b strings.Builder
	group := "(" + strings.Repeat("?, ", q.cols-1) + "?)"
	b.Grow(len(q.head) + len(q.tail) + rows*(len(group)+2) + 16)
	b.WriteString(q.head)
	b.WriteString("\nVALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(group)
	}
	b.WriteString("\n")
	b.WriteString(q.tail)
	return b.String()
}

type valuesKey struct {
	q    *valuesSQL
	rows int
}

// prepareValues prepares on the writer every form of the given queries
// that eachValues can ask for, once per Store. It runs outside any
// transaction: the writer's one connection is busy during one.
func (s *Store) prepareValues(ctx context.Context, qs []*valuesSQL) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range qs {
		for rows := 1; rows <= maxValuesRows; rows *= 2 {
			k := valuesKey{q, rows}
			if _, ok := s.stmts[k]; ok {
				continue
			}
			st, err := s.write.PrepareContext(ctx, s.d.rebind(q.query(rows)))
			if err != nil {
				return fmt.Errorf("prepare: %w", err)
			}
			if s.stmts == nil {
				s.stmts = map[valuesKey]*sql.Stmt{}
			}
			s.stmts[k] = st
		}
	}
	return nil
}

// valuesStmt returns q for the given number of rows, bound to this
// transaction: the statement prepared by prepareValues when there is one
// (the writer's one connection already has it prepared, so database/sql
// reuses it), else one prepared for this transaction only.
func (t *tx) valuesStmt(ctx context.Context, q *valuesSQL, rows int) (*sql.Stmt, error) {
	var st *sql.Stmt
	if t.store != nil {
		t.store.mu.Lock()
		st = t.store.stmts[valuesKey{q, rows}]
		t.store.mu.Unlock()
	}
	if st == nil {
		return t.prepare(ctx, q.query(rows))
	}
	return t.tx.StmtContext(ctx, st), nil
}

// execValues runs q over args, q.cols of them per row, in statements of at
// most maxValuesRows rows.
func (t *tx) execValues(ctx context.Context, q *valuesSQL, args []any) error {
	return t.eachValues(ctx, q, args, func(s *sql.Stmt, args []any) error {
		_, err := s.ExecContext(ctx, args...)
		return err
	})
}

// queryValues is execValues for a statement with RETURNING: scan is
// called for each row returned.
func (t *tx) queryValues(ctx context.Context, q *valuesSQL, args []any, scan func(*sql.Rows) error) error {
	return t.eachValues(ctx, q, args, func(s *sql.Stmt, args []any) error {
		rows, err := s.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		return closeRows(rows)
	})
}

func (t *tx) eachValues(ctx context.Context, q *valuesSQL, args []any, run func(*sql.Stmt, []any) error) error {
	if len(args)%q.cols != 0 {
		return fmt.Errorf("%d arguments for rows of %d columns", len(args), q.cols)
	}
	for len(args) > 0 {
		n := min(len(args)/q.cols, maxValuesRows)
		n = 1 << (bits.Len(uint(n)) - 1) // the largest power of two <= n
		s, err := t.valuesStmt(ctx, q, n)
		if err != nil {
			return err
		}
		err = run(s, args[:n*q.cols])
		s.Close()
		if err != nil {
			return err
		}
		args = args[n*q.cols:]
	}
	return nil
}
