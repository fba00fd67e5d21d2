package report

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A run that recorded its learning rate gets the lr figure, an lr column in
// history.csv and lr, stopped_epoch and best_epoch in history.json; one
// that did not gets none of them.
func TestLearningRateFigureAndColumn(t *testing.T) {
	plain := &Run{Name: "a", Dir: "a", History: History{Loss: Series{2, 1}, Accuracy: Series{0.1, 0.5}, ValLoss: Series{2, 1}, ValAccuracy: Series{0.1, 0.5}}, EpochSeconds: Series{1, 2}}
	assert.NotContains(t, FiguresOf([]*Run{plain}), LRFigure)
	assert.NotContains(t, string(HistoryCSV(plain)), "lr")

	sched := &Run{Name: "b", Dir: "b", History: plain.History, EpochSeconds: Series{1, 2}}
	sched.History.LR, sched.History.StoppedEpoch, sched.History.BestEpoch = Series{0.01, 0.001}, 2, 1
	figs := FiguresOf([]*Run{plain, sched})
	require.Contains(t, figs, LRFigure)
	assert.Equal(t, Figures, figs[:len(Figures)], "the task's figures come first, unchanged")
	assert.Len(t, Figures, 2, "FiguresOf does not append to the package's slice")
	assert.Equal(t, "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds\n1,2,0.1,2,0.1,0.01,1\n2,1,0.5,1,0.5,0.001,2\n", string(HistoryCSV(sched)))
	b, err := json.Marshal(sched.History)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"lr":[0.01,0.001],"stopped_epoch":2,"best_epoch":1`)
	png, svg, err := RenderFigure([]*Run{plain, sched}, LRFigure)
	require.NoError(t, err)
	assert.NotEmpty(t, png)
	assert.Contains(t, string(svg), "Learning rate")
}
