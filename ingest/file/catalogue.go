package file

// Type is the source's type in the config.
const Type = "file"

// Summary is one line for `vigil sources`.
const Summary = "posts from a file: JSON Lines (the import format) or CSV with a column mapping (exports of other tools)"

// Settings documents the source's settings for `vigil sources`.
var Settings = [][2]string{
	{"path", "the file (required); relative to the config file"},
	{"follow", "keep reading as the file grows (default false: read to the end and stop)"},
	{"poll", "how often a followed file is checked (default 1s)"},
	{"format", "jsonl or csv (default: csv for a .csv file, else jsonl)"},
	{"preset", "csv column names of a known export: crowdtangle, meta_content_library, 4cat"},
	{"columns", "csv: {post field: column name} for platform, id, author_id, author_handle, author_name, text, created_at, url, lang, links"},
	{"platform", "csv: the platform of every row, when the file has no platform column"},
	{"time_format", "csv: Go time layout of created_at or unix (default: RFC 3339, \"2006-01-02 15:04:05\" UTC, Unix seconds or, with 12 digits or more, milliseconds)"},
	{"delimiter", "csv: the field separator, one character, or tab (default ,)"},
}
