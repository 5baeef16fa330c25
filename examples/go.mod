module github.com/vigilhq/vigil/examples

go 1.26
