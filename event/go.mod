module github.com/vigilhq/vigil/event

go 1.26
