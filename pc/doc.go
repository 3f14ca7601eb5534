// Package pc implements supervised generative predictive-coding networks, as
// in the seed tutorial "MNIST generation" (PredFlow): a stack of layers
// r_0 … r_L where each layer predicts the one below it,
//
//	prediction of layer i:  W_i · f(r_{i+1})        f = ReLU in the seed
//	error of layer i:       e_i = r_i − W_i · f(r_{i+1})
//
// with r_0 the data (an image) and r_L the target (a one-hot label).
//
// Learn clamps r_0 to the data and r_L to the target, starts every hidden
// layer at its top-down prediction, relaxes the hidden layers for T steps,
//
//	r_i += ir · (−e_i + W_{i−1}ᵀ e_{i−1} ⊙ f'(r_i))      i = 1 … L−1
//
// (all errors computed first, then all updates, exactly as the seed), and then
// takes one Hebbian step on every weight matrix,
//
//	W_i += lr · Σ_batch e_i ⊗ f(r_{i+1})
//
// summed, not averaged, over the batch, as the seed does. Generate clamps
// only r_L and relaxes the other layers, r_0 included (r_0 += ir·(−e_0)).
//
// # A property of the seed worth knowing
//
// Generate starts every layer at its top-down prediction, so every error is
// exactly zero and the T relaxation steps change nothing: the generated image
// is one top-down pass, W_0 f(W_1 f(… W_{L−1} f(target)))). pcgo keeps this
// faithfully (and its tests check it bit for bit).
//
// # Beyond the seed
//
// A Net's Act chooses f (ReLU, the seed's, on fused kernels; Tanh, Sigmoid
// and Linear as Go loops, each with f' taken at the activities before the
// step, as the seed does), and its Mode which end holds the image:
// Generative (the seed: image at layer 0, label on top) or Discriminative
// (label at layer 0, image on top: the seed author's companion tutorial
// "MNIST classification", the same Learn rule with the roles swapped).
// LearnLabelled and Trainer put images and labels where the mode says.
//
// Inference reuses the one relaxation loop of Learn and Generate with other
// layers clamped or free, and allocates nothing per call:
//
//   - Classify frees the label layer: a discriminative net's labels are its
//     top-down prediction (Generate's fixed point again); a generative net
//     relaxes from a uniform label and zero hidden layers, at a rate near
//     Net.StableIR.
//   - ClassifyEnergy clamps each label in turn, relaxes as Learn does, and
//     returns every sample's energy per label (the lowest wins).
//   - Complete clamps the label and the known part of each image and
//     relaxes the rest (inpainting).
//   - Predict and Evaluate turn either into classes, accuracy and a
//     confusion matrix.
//
// Config.Tol stops any relaxation once no activity moves by more than Tol
// (Workspace.Steps tells how many steps ran); Tol = 0 stops only at an
// exact fixed point and so never changes a result. Config.Precision0
// weighs layer 0's errors in the energy; a small one (0.1, with a learning
// rate 10× larger) brings a discriminative net's learning close to
// backprop's.
//
// # Data layout and cost
//
// Activities are batch-major: a batch of B samples of layer i is a B×n_i
// row-major matrix R_i, so predictions are one GEMM each, P_i = F_{i+1}·W_iᵀ,
// and the weight update is the GEMM W_i += lr·E_iᵀ·F_{i+1}. A Workspace
// allocates every buffer once, for a maximum batch; Learn and Generate then
// allocate nothing.
//
// During a relaxation each sample's activities depend only on its own, the
// weights being fixed. So on an engine of several threads, Learn and
// Generate (with ReLU and no early stop) give each thread its own rows of
// the batch for every step (linalg.Engine.RowParts and Do), each with its
// own packed copy of the weights: the threads meet twice a call, not twice
// a step, and no activity passes between cores unless a thread that is done
// takes over rows from a slower one. The weight update and the other inference calls split each GEMM
// across the threads instead.
//
// # Concurrency
//
// The rules (.ci/run checks the first two with the race detector):
//
//   - A Net may be shared: any number of goroutines may call Generate on one
//     Net at the same time, each through its own Workspace. Generate only
//     reads the Net.
//   - A Workspace belongs to one goroutine at a time, and so does the
//     linalg.Engine it runs on: give every goroutine its own of both
//     (NewWorkspace with a nil engine makes a new one). All engines share
//     one worker pool, so parallel workspaces do not start more threads.
//   - Learn writes the Net's weights: while it runs, no other goroutine may
//     use that Net, not even to read it (Generate, SaveModel, WriteTo).
//     To generate while training, generate from a Clone.
//   - Nothing about a Net (its sizes, weights or other fields) may change
//     while a workspace uses it, except through that workspace's Learn.
//   - A Trainer drives one Workspace from one goroutine; another goroutine
//     stops it by cancelling the context given to Run.
//
// Results never depend on timing or on how many goroutines run: every
// workspace gets, bit for bit, what a serial run with the same inputs and
// kernel set gives, whatever its engine's thread count.
package pc
