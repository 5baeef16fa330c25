package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vigilhq/vigil/store/sqlstore"
)

// storeFlags are the flags that name the store, shared by the commands
// that work on it directly (audit, token, pack, keys): the same choice as
// vigil run makes, from the configuration, VIGIL_* variables and these
// flags, in that order.
type storeFlags struct {
	config, dataDir, sqlite, postgres *string
	asJSON                            *bool
}

func newStoreFlags(fs *flag.FlagSet) storeFlags {
	return storeFlags{
		config:   fs.String("config", "", "Configuration file (YAML), for data_dir and store.sqlite or store.postgres. Default: the embedded demo configuration."),
		dataDir:  fs.String("data-dir", "", "Data directory of the pipeline. Default ./data (env VIGIL_DATA_DIR)."),
		sqlite:   fs.String("sqlite", "", "SQLite database. Default DATA_DIR/vigil.db (env VIGIL_SQLITE)."),
		postgres: fs.String("postgres", "", "PostgreSQL connection string (postgres://user@host/vigil?sslmode=verify-full); instead of SQLite (env VIGIL_POSTGRES)."),
		asJSON:   fs.Bool("json", false, "Print the result as JSON."),
	}
}

// load reads the configuration with the flags applied: --postgres names
// PostgreSQL; --sqlite or --data-dir name SQLite, even over
// VIGIL_POSTGRES or store.postgres.
func (f storeFlags) load(sio IO) (*Config, error) {
	if *f.postgres != "" && (*f.sqlite != "" || *f.dataDir != "") {
		return nil, fmt.Errorf("%w: give --postgres or --sqlite/--data-dir, not both", errUsage)
	}
	cfg, err := loadConfig(*f.config, sio.Getenv)
	if err != nil {
		return nil, err
	}
	if *f.dataDir != "" || *f.sqlite != "" {
		cfg.Store.Postgres = ""
	}
	if *f.dataDir != "" {
		cfg.DataDir = *f.dataDir
	}
	if *f.sqlite != "" {
		cfg.Store.SQLite = *f.sqlite
	}
	if *f.postgres != "" {
		cfg.Store.Postgres = *f.postgres
	}
	return cfg, nil
}

// open opens the store the flags name. With create, a SQLite store that
// does not exist yet is made (a first token before the first run);
// without, it must exist: verifying or exporting an empty store that the
// command just created would only hide a wrong path.
func (f storeFlags) open(ctx context.Context, fs *flag.FlagSet, sio IO, create bool) (*sqlstore.Store, error) {
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	cfg, err := f.load(sio)
	if err != nil {
		return nil, err
	}
	return openConfigStore(ctx, cfg, create)
}

// openConfigStore opens cfg's store; see storeFlags.open for create.
func openConfigStore(ctx context.Context, cfg *Config, create bool) (*sqlstore.Store, error) {
	sc := cfg.storeConfig()
	if sc.Postgres == "" {
		if create {
			if err := os.MkdirAll(filepath.Dir(sc.Path), 0o700); err != nil {
				return nil, err
			}
		} else if _, err := os.Stat(sc.Path); err != nil {
			return nil, fmt.Errorf("no store at %s (give --sqlite or --data-dir): %w", sc.Path, err)
		}
	}
	return sqlstore.Open(ctx, sc)
}
