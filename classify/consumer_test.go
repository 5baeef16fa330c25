package classify

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/vigilhq/vigil/bus"
	"github.com/vigilhq/vigil/bus/kafkatest"
	"github.com/vigilhq/vigil/classify/accounts"
	"github.com/vigilhq/vigil/classify/gazetteer"
	"github.com/vigilhq/vigil/classify/lexicon"
	"github.com/vigilhq/vigil/event"
)

// TestConsumerRegionAndGroupMetrics classifies a few posts through the
// role's batch handler and checks the early-warning series: every known
// label value at 0 before the first post, then each post counted once per
// category for each region and group it names, "none" when it names none.
func TestConsumerRegionAndGroupMetrics(t *testing.T) {
	l, err := lexicon.Parse("groups.yaml", []byte(testGroupsLexicon))
	if err != nil {
		t.Fatal(err)
	}
	g, err := gazetteer.Parse("places.yaml", []byte(testGazetteer))
	if err != nil {
		t.Fatal(err)
	}
	lists, err := accounts.Parse("accounts.csv", []byte("platform,account_id,handle,list,note,source\nx,77,listed_one,watch,,synthetic\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New([]*lexicon.Lexicon{l}, lists, Options{Gazetteers: []*gazetteer.Gazetteer{g}})
	if err != nil {
		t.Fatal(err)
	}
	kcfg := kafkatest.Cluster(t, 1)
	if err := bus.EnsureTopics(t.Context(), kcfg, event.TopicFlags, event.TopicDeadLetter); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	r, err := NewConsumer(c, ConsumerConfig{Workers: 2}, kcfg, bus.NewDeadLetters(kcfg, "classify", reg), nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })

	// Before the first post: (2 categories + account_list) x (7 regions +
	// none), x (2 groups + none), and 7 regions + none.
	for name, want := range map[string]int{
		"vigil_classify_region_posts_flagged_total":       3 * 8,
		"vigil_classify_target_group_posts_flagged_total": 3 * 3,
		"vigil_classify_region_posts_total":               8,
		"vigil_classify_posts_flagged_total":              3,
	} {
		if n, err := testutil.GatherAndCount(reg, name); err != nil || n != want {
			t.Errorf("%s: %d series before the first post (%v), want %d", name, n, err, want)
		}
	}

	posts := []struct{ author, text string }{
		{"1", "burn them, the minority in Monywa and Chin State"}, // violence_call; sagaing, chin; minority
		{"1", "vermin, journalists, Sagaing Region: burn them"},   // dehumanisation, violence_call; sagaing; journalists
		{"1", "ကုလားတွေကို မောင်းထုတ်"},                           // dehumanisation; no region; minority
		{"1", "rain in Chin State"},                               // not flagged; chin
		{"1", "a quiet day"},                                      // not flagged; none
		{"77", "parade in Mandalay today"},                        // account_list; mandalay; no group
	}
	var batch []kafka.Message
	for i, p := range posts {
		post := event.Post{Platform: "x", ID: string(rune('a' + i)), Author: event.Author{ID: p.author}, Text: p.text}
		post.Raw = []byte(`{"text":"` + p.text + `"}`)
		post.RawSHA256 = event.SHA256Hex(post.Raw)
		body, raw, err := event.EncodePost(&post)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, bus.Message("x:"+p.author, body, raw))
	}
	batch = append(batch, kafka.Message{Key: []byte("x:1"), Value: []byte("not a post")}) // dead-lettered, not counted
	if err := r.handle(t.Context(), batch); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		vec    *prometheus.CounterVec
		labels []string
		want   float64
	}{
		{r.regionFlagged, []string{"violence_call", "sagaing"}, 2},
		{r.regionFlagged, []string{"violence_call", "chin"}, 1},
		{r.regionFlagged, []string{"dehumanisation", "sagaing"}, 1},
		{r.regionFlagged, []string{"dehumanisation", "none"}, 1},
		{r.regionFlagged, []string{"account_list", "mandalay"}, 1},
		{r.regionFlagged, []string{"violence_call", "none"}, 0},
		{r.regionFlagged, []string{"dehumanisation", "shan"}, 0},
		{r.groupFlagged, []string{"violence_call", "minority"}, 1},
		{r.groupFlagged, []string{"violence_call", "journalists"}, 1},
		{r.groupFlagged, []string{"dehumanisation", "minority"}, 1},
		{r.groupFlagged, []string{"dehumanisation", "journalists"}, 1},
		{r.groupFlagged, []string{"account_list", "none"}, 1},
		{r.groupFlagged, []string{"violence_call", "none"}, 0},
		{r.regionPosts, []string{"sagaing"}, 2},
		{r.regionPosts, []string{"chin"}, 2},
		{r.regionPosts, []string{"mandalay"}, 1},
		{r.regionPosts, []string{"none"}, 2},
		{r.regionPosts, []string{"kayin"}, 0},
		{r.flagged, []string{"violence_call"}, 2},
		{r.flagged, []string{"account_list"}, 1},
	} {
		if got := testutil.ToFloat64(tc.vec.WithLabelValues(tc.labels...)); got != tc.want {
			t.Errorf("%v = %g, want %g", tc.labels, got, tc.want)
		}
	}
	if got := testutil.ToFloat64(r.posts); got != 6 {
		t.Errorf("posts_total = %g, want 6", got)
	}

	// A classifier swapped in with a region and a group more: their series
	// start at 0 too, and the old ones keep their counts.
	more := strings.Replace(testGazetteer, "  - id: mandalay\n", "  - id: yangon\n    names: {en: [Yangon]}\n  - id: mandalay\n", 1)
	g2, err := gazetteer.Parse("places.yaml", []byte(more))
	if err != nil {
		t.Fatal(err)
	}
	l2, err := lexicon.Parse("groups.yaml", []byte(strings.Replace(testGroupsLexicon, "category: target_group}", "category: target_group, group: others}", 1)))
	if err != nil {
		t.Fatal(err)
	}
	c2, err := New([]*lexicon.Lexicon{l2}, lists, Options{Gazetteers: []*gazetteer.Gazetteer{g2}})
	if err != nil {
		t.Fatal(err)
	}
	r.Swap(c2)
	for name, want := range map[string]int{
		"vigil_classify_region_posts_flagged_total":       3 * 9,
		"vigil_classify_target_group_posts_flagged_total": 3 * 4,
		"vigil_classify_region_posts_total":               9,
	} {
		if n, err := testutil.GatherAndCount(reg, name); err != nil || n != want {
			t.Errorf("%s: %d series after the swap (%v), want %d", name, n, err, want)
		}
	}
	if got := testutil.ToFloat64(r.regionPosts.WithLabelValues("sagaing")); got != 2 {
		t.Errorf("sagaing after the swap = %g, want 2", got)
	}

	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}
}
