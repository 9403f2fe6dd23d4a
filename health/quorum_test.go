package health

import (
	"reflect"
	"testing"

	"github.com/roachdog/roachdog/checks"
)

func TestQuorumLoss(t *testing.T) {
	t.Parallel()
	up := map[int64]bool{1: true, 2: true, 3: true, 4: true}
	cases := []struct {
		name    string
		ranges  []checks.RangeVoters
		risk    map[int64]int
		lost    int
		unknown int
	}{
		{"three voters, all up", []checks.RangeVoters{{RangeID: 1, Nodes: []int64{1, 2, 3}}}, map[int64]int{}, 0, 0},
		{"three voters, one down", []checks.RangeVoters{{RangeID: 1, Nodes: []int64{1, 2, 5}}}, map[int64]int{1: 1, 2: 1}, 0, 0},
		{"two voters", []checks.RangeVoters{{RangeID: 1, Nodes: []int64{1, 4}}}, map[int64]int{1: 1, 4: 1}, 0, 0},
		{"five voters, one down", []checks.RangeVoters{{RangeID: 1, Nodes: []int64{1, 2, 3, 4, 5}}}, map[int64]int{}, 0, 0},
		{"five voters, two down", []checks.RangeVoters{{RangeID: 1, Nodes: []int64{1, 2, 3, 5, 6}}}, map[int64]int{1: 1, 2: 1, 3: 1}, 0, 0},
		{"already lost", []checks.RangeVoters{{RangeID: 1, Nodes: []int64{1, 5, 6}}}, map[int64]int{}, 1, 0},
		{"one voter", []checks.RangeVoters{{RangeID: 1, Nodes: []int64{3}}}, map[int64]int{3: 1}, 0, 0},
		// Two stores of node 1 hold voters: stopping node 1 takes both.
		{"two voters on one node", []checks.RangeVoters{{RangeID: 1, Nodes: []int64{1, 1, 2, 3}}}, map[int64]int{1: 1}, 0, 0},
		// The unknown store counts as a voter that is not live.
		{"unknown store", []checks.RangeVoters{{RangeID: 1, Nodes: []int64{1, 2}, UnknownStores: []int64{9}}}, map[int64]int{1: 1, 2: 1}, 0, 1},
		{"no voters", []checks.RangeVoters{{RangeID: 1}}, map[int64]int{}, 0, 0},
		{"several ranges", []checks.RangeVoters{
			{RangeID: 1, Nodes: []int64{1, 2}},
			{RangeID: 2, Nodes: []int64{1, 3}},
			{RangeID: 3, Nodes: []int64{2, 3, 4}},
		}, map[int64]int{1: 2, 2: 1, 3: 1}, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			risk, lost, unknown := quorumLoss(tc.ranges, up)
			if !reflect.DeepEqual(risk, tc.risk) || lost != tc.lost || unknown != tc.unknown {
				t.Errorf("got %v, %d lost, %d unknown; want %v, %d, %d", risk, lost, unknown, tc.risk, tc.lost, tc.unknown)
			}
		})
	}
}
