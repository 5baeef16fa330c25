package yamlfile

import "testing"

func TestIsLabelID(t *testing.T) {
	for s, want := range map[string]bool{
		"journalists": true, "human_rights_defenders": true, "hpa_an": true, "k2": true,
		"": false, "Journalists": false, "human rights": false, "1st": false, "_x": false, "a-b": false,
		"ရန်ကုန်": false, string(make([]byte, 65)): false,
	} {
		if got := IsLabelID(s); got != want {
			t.Errorf("IsLabelID(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestDocument(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       string // the problems, "" for none
		node       bool   // a top node is returned
	}{
		{"one document", "a: 1\n", "", true},
		{"empty", "", "f.yaml: empty file: want something", false},
		{"two documents", "a: 1\n---\nb: 2\n", "f.yaml:2: a second YAML document: a thing file holds one", true},
		{"syntax", "a: [1\n", "f.yaml:1: did not find expected ',' or ']'", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Reader{File: "f.yaml"}
			n := r.Document([]byte(tc.data), "thing", "something")
			got := ""
			if err := r.Probs.Err(); err != nil {
				got = err.Error()
			}
			if got != tc.want || tc.node != (n != nil) {
				t.Errorf("problems %q, node %v; want %q, %v", got, n != nil, tc.want, tc.node)
			}
		})
	}
}
