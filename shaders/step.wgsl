// The per-step uniform every step-dependent kernel reads. The training loop rewrites these 16
// bytes before each step (queue.writeBuffer); pipelines and bind groups never change.
struct Step {
  step: u32,        // global step counter: feeds dropout's random stream
  batch_start: u32, // first position of this batch in the epoch's order
  rows: u32,        // rows of the batch that hold data: the epoch's last batch may be short
  seed: u32,        // the run's seed
}
