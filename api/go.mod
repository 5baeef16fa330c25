module github.com/vigilhq/vigil/api

go 1.26

require (
	github.com/vigilhq/vigil/event v0.0.0
)

replace (
	github.com/vigilhq/vigil/event => ../event
)
