package checkpoint

import (
	"encoding/json"
	"errors"

	"github.com/descent-ml/descent/train"
)

// A Saver writes checkpoints of a Trainer's Fit: hand its OnState to
// train.FitConfig.OnState. It writes one at the end of every epoch, every
// Every steps (counted over the whole run; 0: none within an epoch) and
// when the Fit stops on its context (a signal), unless the position is the
// one last written.
type Saver struct {
	Dir      string
	Every    int
	Trainer  *train.Trainer
	Identity Identity
	Config   json.RawMessage
	// Last is the folder of the last checkpoint written, Written their count.
	Last    string
	Written int
	last    int // global step of Last, −1 for none
}

// NewSaver returns a Saver of tr's Fit into dir.
func NewSaver(dir string, every int, tr *train.Trainer, id Identity, config json.RawMessage) (*Saver, error) {
	if dir == "" || tr == nil || every < 0 {
		return nil, errors.New("checkpoint: a Saver needs a folder, a trainer and every ≥ 0")
	}
	return &Saver{Dir: dir, Every: every, Trainer: tr, Identity: id, Config: config, last: -1}, nil
}

// OnState is the train.FitConfig.OnState that writes the checkpoints.
func (s *Saver) OnState(st train.FitState) error {
	g := (st.Epoch-1)*st.Steps + st.Step
	switch st.Reason {
	case train.StateStep:
		if s.Every == 0 || g%s.Every != 0 || st.Step == st.Steps { // an epoch's last step: its checkpoint follows validation
			return nil
		}
	case train.StateStopped:
		if g == s.last { // the same position (an epoch's end is step 0 of the next)
			return nil
		}
	}
	return s.Save(st)
}

// Save writes a checkpoint of the trainer at st now.
func (s *Saver) Save(st train.FitState) error {
	c := &Checkpoint{Identity: s.Identity, Model: s.Trainer.Model(), Optimizer: s.Trainer.Optimizer().State(), Fit: st, Config: s.Config}
	dir, err := Write(s.Dir, c)
	if err != nil {
		return err
	}
	s.Last, s.last = dir, c.globalStep()
	s.Written++
	return nil
}

// Restore puts c's weights and optimizer state into tr (built for the same
// network and optimizer, see Check) and returns the FitState to hand to
// train.FitConfig.Resume.
func (c *Checkpoint) Restore(tr *train.Trainer) (*train.FitState, error) {
	m := tr.Model()
	if !m.SameArchitecture(c.Model) {
		return nil, errors.New("checkpoint: Restore into another network")
	}
	if err := tr.Optimizer().SetState(c.Optimizer); err != nil {
		return nil, err
	}
	copy(m.Params, c.Model.Params)
	st := c.Fit
	return &st, nil
}
