package domains

import "github.com/vigilhq/vigil/classify/problem"

// Problem is one thing wrong in a domain-list file, with the line it is on.
type Problem = problem.Problem

// Problems is every problem found, returned all at once as one error.
type Problems = problem.List
