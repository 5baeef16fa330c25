module github.com/vigilhq/vigil/cmd

go 1.26

require (
	github.com/vigilhq/vigil/event v0.0.0
	github.com/vigilhq/vigil/bus v0.0.0
	github.com/vigilhq/vigil/ingest v0.0.0
	github.com/vigilhq/vigil/classify v0.0.0
	github.com/vigilhq/vigil/store v0.0.0
	github.com/vigilhq/vigil/api v0.0.0
	github.com/vigilhq/vigil/examples v0.0.0
)

replace (
	github.com/vigilhq/vigil/event => ../event
	github.com/vigilhq/vigil/bus => ../bus
	github.com/vigilhq/vigil/ingest => ../ingest
	github.com/vigilhq/vigil/classify => ../classify
	github.com/vigilhq/vigil/store => ../store
	github.com/vigilhq/vigil/api => ../api
	github.com/vigilhq/vigil/examples => ../examples
)
