#!/usr/bin/python3
"""Check the toolkit points of the family against the toolkits' own way of computing.

    /usr/bin/python3 tools/check_family_toolkits.py [--tolerance 1e-5]

For each tests/golden/family-<toolkit>*.json, the model's weights are copied into a small
re-implementation written in that toolkit's idiom (module structure and forward code of the
PyTorch chatbot tutorial, the PyTorch translation tutorial, Joey NMT's RecurrentEncoder /
RecurrentDecoder, OpenNMT-py's RNNEncoder with its bridge, StackedLSTM, InputFeedRNNDecoder and
GlobalAttention, the CS224n assignment 4 NMT model, d2l's Seq2SeqAttentionDecoder), sizes
generalized where the toolkit ties them. Each case's target is teacher-forced through it and the
log-probabilities of the target tokens and the attention rows are compared with the golden
file's `forced` result (which tools/family_torch.py computed). This does not use
family_torch's forward code, only its file reader. Exits 1 on a difference over the tolerance.
"""

import argparse
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import family_torch as fam  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "tests", "golden")


def copy_linear(dst, src):
    dst.weight.data.copy_(src.weight.data)
    if dst.bias is not None:
        dst.bias.data.copy_(src.bias.data)


def copy_rnn(dst, src):
    for name, p in dst.named_parameters():
        p.data.copy_(getattr(src, name).data)


def copy_cells(cells, src):
    """nn.LSTMCell / GRUCell list <- a multi-layer nn.LSTM / GRU."""
    for i, cell in enumerate(cells):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).data.copy_(getattr(src, "%s_l%d" % (name, i)).data)


# ---------------------------------------------------------------- PyTorch chatbot tutorial


def chatbot(m, src, tgt, sos):
    cfg = m.config
    Ee, He, Le = cfg["encoder"]["embedding_size"], cfg["encoder"]["hidden_size"], cfg["encoder"]["layers"]
    Hd, Ld = cfg["decoder"]["hidden_size"], cfg["decoder"]["layers"]
    method = {"concat": "concat", "bilinear": "general", "dot": "dot"}[cfg["attention"]["score"]]

    class Attn(nn.Module):
        def __init__(self, method, hidden_size):
            super().__init__()
            self.method = method
            if method == "general":
                self.attn = nn.Linear(hidden_size, hidden_size)
            elif method == "concat":
                self.attn = nn.Linear(hidden_size * 2, cfg["attention"]["hidden_size"])
                self.v = nn.Parameter(torch.FloatTensor(cfg["attention"]["hidden_size"]))

        def general_score(self, hidden, encoder_output):
            energy = self.attn(encoder_output)
            return torch.sum(hidden * energy, dim=2)

        def concat_score(self, hidden, encoder_output):
            energy = self.attn(torch.cat((hidden.expand(encoder_output.size(0), -1, -1), encoder_output), 2)).tanh()
            return torch.sum(self.v * energy, dim=2)

        def forward(self, hidden, encoder_outputs):
            if self.method == "general":
                attn_energies = self.general_score(hidden, encoder_outputs)
            else:
                attn_energies = self.concat_score(hidden, encoder_outputs)
            attn_energies = attn_energies.t()
            return F.softmax(attn_energies, dim=1).unsqueeze(1)

    enc_emb = nn.Embedding(*m.encoder.embedding.weight.shape)
    enc_emb.weight.data.copy_(m.encoder.embedding.weight.data)
    gru = nn.GRU(Ee, He, Le, bidirectional=True)
    copy_rnn(gru, m.encoder.rnn)
    # EncoderRNN.forward
    embedded = enc_emb(src.t())  # [T, B]
    outputs, hidden = gru(embedded)
    outputs = outputs[:, :, :He] + outputs[:, :, He:]
    encoder_outputs, encoder_hidden = outputs, hidden
    # LuongAttnDecoderRNN
    dec_emb = nn.Embedding(*m.decoder.embedding.weight.shape)
    dec_emb.weight.data.copy_(m.decoder.embedding.weight.data)
    dgru = nn.GRU(cfg["decoder"]["embedding_size"], Hd, Ld)
    copy_rnn(dgru, m.decoder.rnn)
    concat = nn.Linear(Hd * 2, Hd)
    copy_linear(concat, m.decoder.attentional)
    out = nn.Linear(Hd, m.decoder.out.weight.shape[0])
    copy_linear(out, m.decoder.out)
    attn = Attn(method, Hd)
    if method == "general":
        copy_linear(attn.attn, m.decoder.attention.linear)
    else:
        copy_linear(attn.attn, m.decoder.attention.concat)
        attn.v.data.copy_(m.decoder.attention.energy_layer.weight.data[0])
    decoder_hidden = encoder_hidden[:Ld]
    decoder_input = torch.LongTensor([[sos]])
    logps, alphas = [], []
    for t in tgt:
        embedded = dec_emb(decoder_input)
        rnn_output, decoder_hidden = dgru(embedded, decoder_hidden)
        attn_weights = attn(rnn_output, encoder_outputs)
        context = attn_weights.bmm(encoder_outputs.transpose(0, 1))
        rnn_output = rnn_output.squeeze(0)
        context = context.squeeze(1)
        concat_input = torch.cat((rnn_output, context), 1)
        concat_output = torch.tanh(concat(concat_input))
        output = F.softmax(out(concat_output), dim=1)
        logps.append(float(torch.log(output[0, t])))
        alphas.append(attn_weights[0, 0])
        decoder_input = torch.LongTensor([[t]])
    return logps, alphas


# ---------------------------------------------------------------- PyTorch translation tutorial


def tutorial(m, src, tgt, sos):
    cfg = m.config
    Ee, He = cfg["encoder"]["embedding_size"], cfg["encoder"]["hidden_size"]
    Ed, Hd, Da = cfg["decoder"]["embedding_size"], cfg["decoder"]["hidden_size"], cfg["attention"]["hidden_size"]

    class BahdanauAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.Wa, self.Ua, self.Va = nn.Linear(Hd, Da), nn.Linear(He, Da), nn.Linear(Da, 1)

        def forward(self, query, keys):
            scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
            scores = scores.squeeze(2).unsqueeze(1)
            weights = F.softmax(scores, dim=-1)
            context = torch.bmm(weights, keys)
            return context, weights

    emb = nn.Embedding(*m.encoder.embedding.weight.shape)
    emb.weight.data.copy_(m.encoder.embedding.weight.data)
    gru = nn.GRU(Ee, He, batch_first=True)
    copy_rnn(gru, m.encoder.rnn)
    encoder_outputs, encoder_hidden = gru(emb(src))
    a = BahdanauAttention()
    copy_linear(a.Wa, m.decoder.attention.query_layer)
    copy_linear(a.Ua, m.decoder.attention.key_layer)
    copy_linear(a.Va, m.decoder.attention.energy_layer)
    demb = nn.Embedding(*m.decoder.embedding.weight.shape)
    demb.weight.data.copy_(m.decoder.embedding.weight.data)
    dgru = nn.GRU(Ed + He, Hd, batch_first=True)
    copy_rnn(dgru, m.decoder.rnn)
    out = nn.Linear(Hd, m.decoder.out.weight.shape[0])
    copy_linear(out, m.decoder.out)
    decoder_input = torch.empty(1, 1, dtype=torch.long).fill_(sos)
    decoder_hidden = encoder_hidden
    logps, alphas = [], []
    for t in tgt:
        embedded = demb(decoder_input)
        query = decoder_hidden.permute(1, 0, 2)
        context, attn_weights = a(query, encoder_outputs)
        input_gru = torch.cat((embedded, context), dim=2)
        output, decoder_hidden = dgru(input_gru, decoder_hidden)
        output = F.log_softmax(out(output), dim=-1)
        logps.append(float(output[0, 0, t]))
        alphas.append(attn_weights[0, 0])
        decoder_input = torch.tensor([[t]])
    return logps, alphas


# ---------------------------------------------------------------- Joey NMT


def joey(m, src, tgt, sos):
    cfg = m.config
    e, d, a = cfg["encoder"], cfg["decoder"], cfg["attention"]
    rnn_cls = nn.GRU if e["cell"] == "gru" else nn.LSTM
    enc_size = 2 * e["hidden_size"]
    hidden_size = d["hidden_size"]

    def embed(table, x, dim, scale):
        out = table(x)
        return out * math.sqrt(dim) if scale else out

    src_lut = nn.Embedding(*m.encoder.embedding.weight.shape)
    src_lut.weight.data.copy_(m.encoder.embedding.weight.data)
    rnn = rnn_cls(e["embedding_size"], e["hidden_size"], e["layers"], batch_first=True, bidirectional=True)
    copy_rnn(rnn, m.encoder.rnn)
    # RecurrentEncoder.forward
    output, hidden = rnn(embed(src_lut, src, e["embedding_size"], e["embedding_scale"]))
    if isinstance(hidden, tuple):
        hidden, memory_cell = hidden
    batch_size = hidden.size(1)
    hidden_layerwise = hidden.view(rnn.num_layers, 2 if rnn.bidirectional else 1, batch_size, rnn.hidden_size)
    fwd_hidden_last = hidden_layerwise[-1:, 0]
    bwd_hidden_last = hidden_layerwise[-1:, 1]
    encoder_final = torch.cat([fwd_hidden_last, bwd_hidden_last], dim=2).squeeze(0)
    encoder_output = output
    # RecurrentDecoder
    trg_lut = nn.Embedding(*m.decoder.embedding.weight.shape)
    trg_lut.weight.data.copy_(m.decoder.embedding.weight.data)
    drnn = rnn_cls(d["embedding_size"] + hidden_size, hidden_size, d["layers"], batch_first=True)
    copy_rnn(drnn, m.decoder.rnn)
    att_vector_layer = nn.Linear(hidden_size + enc_size, hidden_size, bias=True)
    copy_linear(att_vector_layer, m.decoder.attentional)
    output_layer = nn.Linear(hidden_size, m.decoder.out.weight.shape[0], bias=False)
    copy_linear(output_layer, m.decoder.out)
    if a["score"] == "additive":  # BahdanauAttention
        key_layer = nn.Linear(enc_size, a["hidden_size"], bias=False)
        query_layer = nn.Linear(hidden_size, a["hidden_size"], bias=False)
        energy_layer = nn.Linear(a["hidden_size"], 1, bias=False)
        copy_linear(key_layer, m.decoder.attention.key_layer)
        copy_linear(query_layer, m.decoder.attention.query_layer)
        copy_linear(energy_layer, m.decoder.attention.energy_layer)
        proj_keys = key_layer(encoder_output)

        def attention(query, values):
            q = query_layer(query)
            scores = energy_layer(torch.tanh(q + proj_keys))
            scores = scores.squeeze(2).unsqueeze(1)
            alphas = F.softmax(scores, dim=-1)
            return alphas @ values, alphas
    else:  # LuongAttention
        key_layer = nn.Linear(enc_size, hidden_size, bias=False)
        copy_linear(key_layer, m.decoder.attention.linear)
        proj_keys = key_layer(encoder_output)

        def attention(query, values):
            scores = query @ proj_keys.transpose(1, 2)
            alphas = F.softmax(scores, dim=-1)
            return alphas @ values, alphas

    # _init_hidden
    if d["init"] == "bridge":
        bridge_layer = nn.Linear(enc_size, hidden_size, bias=True)
        copy_linear(bridge_layer, m.decoder.bridge)
        hidden = torch.tanh(bridge_layer(encoder_final)).unsqueeze(0).repeat(d["layers"], 1, 1)
    elif d["init"] == "last":
        if encoder_final.shape[1] == 2 * hidden_size:
            hidden = encoder_final[:, :hidden_size].unsqueeze(0).repeat(d["layers"], 1, 1)
        else:
            hidden = encoder_final.unsqueeze(0).repeat(d["layers"], 1, 1)
    else:
        hidden = encoder_final.new_zeros(d["layers"], batch_size, hidden_size)
    if isinstance(drnn, nn.LSTM):
        hidden = (hidden, hidden)
    prev_att_vector = encoder_output.new_zeros([batch_size, 1, hidden_size])
    prev_y = torch.tensor([[sos]])
    logps, alphas = [], []
    for t in tgt:
        prev_embed = embed(trg_lut, prev_y, d["embedding_size"], d["embedding_scale"])
        rnn_input = torch.cat([prev_embed, prev_att_vector], dim=2)
        _, hidden = drnn(rnn_input, hidden)
        query = hidden[0][-1].unsqueeze(1) if isinstance(hidden, tuple) else hidden[-1].unsqueeze(1)
        context, att_probs = attention(query, encoder_output)
        att_vector_input = torch.cat([query, context], dim=2)
        att_vector = torch.tanh(att_vector_layer(att_vector_input))
        prev_att_vector = att_vector
        logits = output_layer(att_vector)
        logps.append(float(F.log_softmax(logits, dim=-1)[0, 0, t]))
        alphas.append(att_probs[0, 0])
        prev_y = torch.tensor([[t]])
    return logps, alphas


# ---------------------------------------------------------------- OpenNMT-py


def opennmt(m, src, tgt, sos):
    cfg = m.config
    e, d, a = cfg["encoder"], cfg["decoder"], cfg["attention"]
    num_directions = 2 if e["bidirectional"] else 1
    rnn_size = d["hidden_size"]  # OpenNMT's -rnn_size, the same on both sides
    hidden_size = rnn_size // num_directions
    num_layers = e["layers"]
    # RNNEncoder
    emb = nn.Embedding(*m.encoder.embedding.weight.shape)
    emb.weight.data.copy_(m.encoder.embedding.weight.data)
    rnn = nn.LSTM(e["embedding_size"], hidden_size, num_layers, bidirectional=e["bidirectional"])
    copy_rnn(rnn, m.encoder.rnn)
    memory_bank, encoder_final = rnn(emb(src.t()))  # [T, B, rnn_size]
    if d["init"] == "onmt_bridge":
        total_hidden_dim = hidden_size * num_layers
        bridge = nn.ModuleList([nn.Linear(total_hidden_dim, total_hidden_dim, bias=True) for _ in range(2)])
        n = total_hidden_dim  # the family's weight is diag(W0, W0): take W0
        for layer, fam_layer in zip(bridge, (m.decoder.bridge, m.decoder.bridge_cell)):
            layer.weight.data.copy_(fam_layer.weight.data[:n, :n])
            layer.bias.data.copy_(fam_layer.bias.data[:n])
            w = fam_layer.weight.data
            for k in range(num_directions):  # and check that it is block diagonal
                assert torch.equal(w[k * n:(k + 1) * n, k * n:(k + 1) * n], w[:n, :n])

        def bottle_hidden(linear, states):
            size = states.size()
            result = linear(states.view(-1, total_hidden_dim))
            return F.relu(result).view(size)

        encoder_final = tuple(bottle_hidden(layer, encoder_final[ix]) for ix, layer in enumerate(bridge))

    # RNNDecoderBase.init_state
    def _fix_enc_hidden(hidden):
        if e["bidirectional"]:
            hidden = torch.cat([hidden[0:hidden.size(0):2], hidden[1:hidden.size(0):2]], 2)
        return hidden

    state_hidden = tuple(_fix_enc_hidden(enc_hid) for enc_hid in encoder_final)
    input_feed = state_hidden[0].data.new(*(1, rnn_size)).zero_()
    # StackedLSTM
    layers = nn.ModuleList()
    input_size = d["embedding_size"] + rnn_size
    for _ in range(d["layers"]):
        layers.append(nn.LSTMCell(input_size, rnn_size))
        input_size = rnn_size
    copy_cells(layers, m.decoder.rnn)

    def stacked_lstm(input_feed, hidden):
        h_0, c_0 = hidden
        h_1, c_1 = [], []
        for i, layer in enumerate(layers):
            h_1_i, c_1_i = layer(input_feed, (h_0[i], c_0[i]))
            input_feed = h_1_i
            h_1 += [h_1_i]
            c_1 += [c_1_i]
        return input_feed, (torch.stack(h_1), torch.stack(c_1))

    # GlobalAttention
    attn_type = "mlp" if a["score"] == "additive" else a["score"]
    dim = rnn_size
    if attn_type == "general":
        linear_in = nn.Linear(dim, dim, bias=False)
        copy_linear(linear_in, m.decoder.attention.linear)
    else:
        linear_context = nn.Linear(dim, a["hidden_size"], bias=False)
        linear_query = nn.Linear(dim, a["hidden_size"], bias=True)
        v = nn.Linear(a["hidden_size"], 1, bias=False)
        copy_linear(linear_context, m.decoder.attention.key_layer)
        copy_linear(linear_query, m.decoder.attention.query_layer)
        copy_linear(v, m.decoder.attention.energy_layer)
    linear_out = nn.Linear(dim * 2, dim, bias=attn_type == "mlp")
    copy_linear(linear_out, m.decoder.attentional)

    def score(h_t, h_s):
        if attn_type == "general":
            h_t = linear_in(h_t)
            return torch.bmm(h_t, h_s.transpose(1, 2))
        wq = linear_query(h_t).unsqueeze(2)  # [B, 1, 1, Da]
        uh = linear_context(h_s).unsqueeze(1)  # [B, 1, S, Da]
        return v(torch.tanh(wq + uh)).squeeze(3)

    def global_attention(source, memory_bank):  # source [B, dim] (one step), memory_bank [B, S, dim]
        source = source.unsqueeze(1)
        align = score(source, memory_bank)
        align_vectors = F.softmax(align, -1)
        c = torch.bmm(align_vectors, memory_bank)
        concat_c = torch.cat([c, source], 2)
        attn_h = linear_out(concat_c)
        if attn_type in ["general", "dot"]:
            attn_h = torch.tanh(attn_h)
        return attn_h.squeeze(1), align_vectors.squeeze(1)

    generator = nn.Linear(rnn_size, m.decoder.out.weight.shape[0])
    copy_linear(generator, m.decoder.out)
    temb = nn.Embedding(*m.decoder.embedding.weight.shape)
    temb.weight.data.copy_(m.decoder.embedding.weight.data)
    dec_state = state_hidden
    bank = memory_bank.transpose(0, 1)
    y = sos
    logps, alphas = [], []
    for t in tgt:
        emb_t = temb(torch.tensor([y]))
        decoder_input = torch.cat([emb_t, input_feed], 1)
        rnn_output, dec_state = stacked_lstm(decoder_input, dec_state)
        decoder_output, p_attn = global_attention(rnn_output, bank)
        input_feed = decoder_output
        logps.append(float(F.log_softmax(generator(decoder_output), dim=-1)[0, t]))
        alphas.append(p_attn[0])
        y = t
    return logps, alphas


# ---------------------------------------------------------------- CS224n assignment 4


def cs224n(m, src, tgt, sos):
    cfg = m.config
    e, d = cfg["encoder"], cfg["decoder"]
    h_enc, h = e["hidden_size"], d["hidden_size"]
    src_emb = nn.Embedding(*m.encoder.embedding.weight.shape)
    src_emb.weight.data.copy_(m.encoder.embedding.weight.data)
    tgt_emb = nn.Embedding(*m.decoder.embedding.weight.shape)
    tgt_emb.weight.data.copy_(m.decoder.embedding.weight.data)
    encoder = nn.LSTM(e["embedding_size"], h_enc, bidirectional=True)
    copy_rnn(encoder, m.encoder.rnn)
    decoder = nn.LSTMCell(d["embedding_size"] + h, h)
    copy_cells([decoder], m.decoder.rnn)
    h_projection = nn.Linear(2 * h_enc, h, bias=False)
    c_projection = nn.Linear(2 * h_enc, h, bias=False)
    att_projection = nn.Linear(2 * h_enc, h, bias=False)
    combined_output_projection = nn.Linear(2 * h_enc + h, h, bias=False)
    target_vocab_projection = nn.Linear(h, m.decoder.out.weight.shape[0], bias=False)
    copy_linear(h_projection, m.decoder.bridge)
    copy_linear(c_projection, m.decoder.bridge_cell)
    copy_linear(att_projection, m.decoder.attention.linear)
    copy_linear(combined_output_projection, m.decoder.attentional)
    copy_linear(target_vocab_projection, m.decoder.out)
    # encode
    X = src_emb(src.t())  # [T, B, e]
    enc_hiddens, (last_hidden, last_cell) = encoder(X)
    enc_hiddens = enc_hiddens.permute(1, 0, 2)
    init_decoder_hidden = h_projection(torch.cat((last_hidden[0], last_hidden[1]), 1))
    init_decoder_cell = c_projection(torch.cat((last_cell[0], last_cell[1]), 1))
    dec_state = (init_decoder_hidden, init_decoder_cell)
    # decode
    o_prev = torch.zeros(1, h)
    enc_hiddens_proj = att_projection(enc_hiddens)
    Y = tgt_emb(torch.tensor([[sos] + tgt[:-1]]).t())
    logps, alphas = [], []
    for Y_t, t in zip(torch.split(Y, 1, dim=0), tgt):
        Y_t = Y_t.squeeze(0)
        Ybar_t = torch.cat((Y_t, o_prev), dim=1)
        dec_state = decoder(Ybar_t, dec_state)
        dec_hidden, dec_cell = dec_state
        e_t = torch.bmm(enc_hiddens_proj, dec_hidden.unsqueeze(2)).squeeze(2)
        alpha_t = F.softmax(e_t, dim=1)
        a_t = torch.bmm(alpha_t.unsqueeze(1), enc_hiddens).squeeze(1)
        U_t = torch.cat((a_t, dec_hidden), dim=1)
        V_t = combined_output_projection(U_t)
        O_t = torch.tanh(V_t)
        o_prev = O_t
        P = F.log_softmax(target_vocab_projection(O_t), dim=-1)
        logps.append(float(P[0, t]))
        alphas.append(alpha_t[0])
    return logps, alphas


# ---------------------------------------------------------------- Dive into Deep Learning


def d2l(m, src, tgt, sos):
    cfg = m.config
    e, d, a = cfg["encoder"], cfg["decoder"], cfg["attention"]
    num_hiddens = d["hidden_size"]
    # Seq2SeqEncoder
    emb = nn.Embedding(*m.encoder.embedding.weight.shape)
    emb.weight.data.copy_(m.encoder.embedding.weight.data)
    rnn = nn.GRU(e["embedding_size"], e["hidden_size"], e["layers"])
    copy_rnn(rnn, m.encoder.rnn)
    X = emb(src).permute(1, 0, 2)
    output, state = rnn(X)
    # AdditiveAttention
    W_k = nn.Linear(e["hidden_size"], a["hidden_size"], bias=False)
    W_q = nn.Linear(num_hiddens, a["hidden_size"], bias=False)
    w_v = nn.Linear(a["hidden_size"], 1, bias=False)
    copy_linear(W_k, m.decoder.attention.key_layer)
    copy_linear(W_q, m.decoder.attention.query_layer)
    copy_linear(w_v, m.decoder.attention.energy_layer)

    def attention(queries, keys, values):
        queries, keys = W_q(queries), W_k(keys)
        features = queries.unsqueeze(2) + keys.unsqueeze(1)
        features = torch.tanh(features)
        scores = w_v(features).squeeze(-1)
        attention_weights = F.softmax(scores, dim=-1)
        return torch.bmm(attention_weights, values), attention_weights

    # Seq2SeqAttentionDecoder
    demb = nn.Embedding(*m.decoder.embedding.weight.shape)
    demb.weight.data.copy_(m.decoder.embedding.weight.data)
    drnn = nn.GRU(d["embedding_size"] + e["hidden_size"], num_hiddens, d["layers"])
    copy_rnn(drnn, m.decoder.rnn)
    dense = nn.Linear(num_hiddens, m.decoder.out.weight.shape[0])
    copy_linear(dense, m.decoder.out)
    enc_outputs, hidden_state = output.permute(1, 0, 2), state
    Xd = demb(torch.tensor([[sos] + tgt[:-1]])).permute(1, 0, 2)
    outputs, weights = [], []
    for x in Xd:
        query = torch.unsqueeze(hidden_state[-1], dim=1)
        context, w = attention(query, enc_outputs, enc_outputs)
        x = torch.cat((context, torch.unsqueeze(x, dim=1)), dim=-1)
        out, hidden_state = drnn(x.permute(1, 0, 2), hidden_state)
        outputs.append(out)
        weights.append(w[0, 0])
    logits = dense(torch.cat(outputs, dim=0))  # [U, B, V]
    logp = F.log_softmax(logits, dim=-1)
    return [float(logp[i, 0, t]) for i, t in enumerate(tgt)], weights


TOOLKITS = {
    "chatbot": chatbot, "chatbot-general": chatbot, "tutorial": tutorial,
    "joey": joey, "joey-lstm": joey, "joey-last": joey,
    "opennmt": opennmt, "opennmt-brnn": opennmt, "opennmt-mlp": opennmt,
    "cs224n": cs224n, "d2l": d2l,
}


@torch.no_grad()
def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tolerance", type=float, default=1e-5)
    args = p.parse_args()
    torch.set_num_threads(1)
    worst, failed = 0.0, False
    for name, fn in TOOLKITS.items():
        with open(os.path.join(GOLDEN, "family-%s.json" % name)) as f:
            golden = json.load(f)
        m, sv, tv = fam.load_model(os.path.join(ROOT, golden["model"]))
        sos = tv.index[m.config["sos_token"]]
        d_lp = d_alpha = 0.0
        for case in golden["cases"]:
            src = torch.tensor([case["source_ids"]])
            tgt = case["forced"]["target_ids"]
            logps, alphas = fn(m, src, tgt, sos)
            d_lp = max([d_lp] + [abs(x - y) for x, y in zip(logps, case["forced"]["log_probs"])])
            for row, ref_row in zip(alphas, case["forced"]["attention"]):
                d_alpha = max([d_alpha] + [abs(float(x) - y) for x, y in zip(row, ref_row)])
        m_ = max(d_lp, d_alpha)
        worst = max(worst, m_)
        failed = failed or m_ > args.tolerance
        print("family-%-16s via %-8s max |diff| log_probs %.3g, attention %.3g  %s" % (
            name, fn.__name__, d_lp, d_alpha, "ok" if m_ <= args.tolerance else "FAIL"))
    print("overall max |diff| %.3g (tolerance %g): %s" % (worst, args.tolerance, "FAIL" if failed else "ok"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
