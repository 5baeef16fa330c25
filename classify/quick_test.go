package classify

import (
	"slices"
	"testing"

	"github.com/vigilhq/vigil/classify/myanmar/convert"
	"github.com/vigilhq/vigil/classify/myanmar/zawgyi"
)

// FuzzScanQuick holds scanQuick to plainASCII and scan: the same verdict,
// and, when the text is plain, the same tokens.
func FuzzScanQuick(f *testing.F) {
	for _, tt := range trickTests {
		f.Add(tt.text)
	}
	for _, s := range []string{"", "a b cက", "it’s “v e r m i n” — 🐍\uFE0F 🐀 x\uFE0F", "$5 a! b|c ။ ၊x", "ABC ကုလား။ D-E f", "\xffab"} {
		f.Add(s)
	}
	model, err := zawgyi.Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		zg := model.Scorer()
		toks, ok, myanmar := scanQuick(s, nil, &zg)
		plain, _ := plainASCII(s)
		if ok && !plain {
			t.Fatalf("scanQuick(%q) ok, but plainASCII says the text folds", s)
		}
		if ok && !convert.IsCanonical(s) && convert.Canonicalize(s) != s {
			t.Fatalf("scanQuick(%q) ok, but its Burmese is not canonical", s)
		}
		if plain && convert.IsCanonical(s) && !ok {
			t.Errorf("scanQuick(%q) refuses text that plainASCII and IsCanonical accept", s)
		}
		if !ok {
			return
		}
		if want := scan(s, nil); !slices.Equal(toks, want) {
			t.Errorf("scanQuick(%q) tokens %v, scan %v", s, toks, want)
		}
		if myanmar != hasMyanmar(s) {
			t.Errorf("scanQuick(%q) hasMyanmar = %v", s, myanmar)
		}
		if got, want := zg.Probability(), model.Probability(s); got != want {
			t.Errorf("scanQuick(%q) Zawgyi probability %v, the detector's %v", s, got, want)
		}
	})
}
