module github.com/vigilhq/vigil/store

go 1.26

require (
	github.com/vigilhq/vigil/event v0.0.0
	github.com/vigilhq/vigil/bus v0.0.0
)

replace (
	github.com/vigilhq/vigil/event => ../event
	github.com/vigilhq/vigil/bus => ../bus
)
