"""seqmodels.batching.last_valid_output against PyTorch's packed sequences."""

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

from seqmodels.batching import last_valid_output


@pytest.fixture
def batch():
    torch.manual_seed(0)
    lengths = torch.tensor([5, 2, 7, 1])
    x = pad_sequence([torch.randn(int(n), 3) for n in lengths], batch_first=True)  # (4, 7, 3)
    return x, lengths


@pytest.mark.parametrize("cell", [torch.nn.RNN, torch.nn.GRU, torch.nn.LSTM])
def test_last_valid_output_is_h_n_of_the_packed_run(batch, cell):
    x, lengths = batch
    layer = cell(3, 4, batch_first=True)
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out_packed, state = layer(packed)
    h_n = state[0] if isinstance(state, tuple) else state
    output, _ = pad_packed_sequence(out_packed, batch_first=True)
    torch.testing.assert_close(last_valid_output(output, lengths), h_n[-1])
    # the padded run gives the same value at the last valid step, but not at the last padded step
    padded_output, _ = layer(x)
    torch.testing.assert_close(last_valid_output(padded_output, lengths), h_n[-1])
    assert not torch.allclose(padded_output[:, -1], h_n[-1])


def test_time_major(batch):
    x, lengths = batch
    layer = torch.nn.GRU(3, 4)
    output, _ = layer(x.transpose(0, 1))
    torch.testing.assert_close(last_valid_output(output, lengths, batch_first=False),
                               last_valid_output(output.transpose(0, 1), lengths))


@pytest.mark.parametrize("lengths", [torch.tensor([0, 1, 1, 1]), torch.tensor([8, 1, 1, 1]), torch.tensor([1, 1])])
def test_bad_lengths_are_clear_errors(batch, lengths):
    x, _ = batch
    with pytest.raises(ValueError, match="lengths must"):
        last_valid_output(x, lengths)
