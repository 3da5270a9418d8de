#include "resultselection.h"

#include <attnviz/decoding/heads.h>

#include <attnviz/decoding/translate.h>
#include <attnviz/models/model.h>

#include <algorithm>

namespace attnviz {

bool hasPaddingSlots(const TranslationResult &result, int hypothesis)
{
    if (hypothesis < 0 || size_t(hypothesis) >= result.hypotheses.size())
        return false;
    return result.hypotheses[size_t(hypothesis)].attention.cols() > result.sourceLength();
}

ResultSelection::ResultSelection(QObject *parent)
    : QObject(parent)
{ }

bool ResultSelection::hasResult() const
{
    return m_output.result && !m_output.result->hypotheses.empty();
}

const Hypothesis *ResultSelection::hypothesis() const
{
    if (!hasResult() || m_hypothesis >= int(m_output.result->hypotheses.size()))
        return nullptr;
    return &m_output.result->hypotheses[size_t(m_hypothesis)];
}

int ResultSelection::steps() const
{
    const Hypothesis *h = hypothesis();
    return h ? int(h->targetTokens.size()) : 0;
}

void ResultSelection::convertOutput()
{
    m_output = m_pieceOutput;
    m_merge.reset();
    const Model *model = m_pieceOutput.model.get();
    if (model != m_markingsModel) {
        m_markingsModel = model;
        m_markings = model ? pieceMarkings(*model) : PieceMarkings {};
        m_specials = model ? specialTokens(*model) : std::vector<std::string> {};
    }
    if (m_units != TokenUnits::Words || !m_markings.any() || !m_pieceOutput.result)
        return;
    auto merge = std::make_shared<WordMerge>(mergeToWords(*m_pieceOutput.result, m_markings, m_specials));
    std::vector<std::string> specials = m_specials;
    specials.push_back(m_pieceOutput.result->eosToken);
    if (m_pieceOutput.summed)
        m_output.summed = mergeAblationToWords(*m_pieceOutput.summed, m_markings.target, specials);
    if (m_pieceOutput.mean)
        m_output.mean = mergeAblationToWords(*m_pieceOutput.mean, m_markings.target, specials);
    // A forced piece cell shows on the word cell that holds it (the overrides are of the first
    // hypothesis' steps).
    m_output.attentionOverrides.clear();
    if (!merge->target.empty())
        for (AttentionOverride o : m_pieceOutput.attentionOverrides) {
            const WordGrouping &rows = merge->target.front();
            if (o.step < 0 || size_t(o.step) >= rows.wordOf.size() || o.position < 0
                || size_t(o.position) >= merge->source.wordOf.size())
                continue;
            o.step = rows.wordOf[size_t(o.step)];
            o.position = merge->source.wordOf[size_t(o.position)];
            m_output.attentionOverrides.push_back(o);
        }
    m_output.result = std::shared_ptr<const TranslationResult>(merge, &merge->words);
    m_merge = std::move(merge);
}

void ResultSelection::setUnits(TokenUnits units)
{
    if (units == m_units)
        return;
    // The step stays on the same output: a piece's word, or a word's first piece.
    int step = m_step;
    if (m_merge && size_t(m_hypothesis) < m_merge->target.size() && step >= 0) {
        const WordGrouping &rows = m_merge->target[size_t(m_hypothesis)];
        if (step < rows.size())
            step = rows.words[size_t(step)].pieces.front();
    }
    m_units = units;
    convertOutput();
    if (m_merge && size_t(m_hypothesis) < m_merge->target.size() && step >= 0) {
        const WordGrouping &rows = m_merge->target[size_t(m_hypothesis)];
        if (size_t(step) < rows.wordOf.size())
            step = rows.wordOf[size_t(step)];
    }
    emit unitsChanged(units);
    if (!hasResult())
        return;
    const int hypothesis = m_hypothesis;
    m_step = step;
    emit outputChanged();
    const int before = m_step;
    showHypothesis(hypothesis);
    if (m_step == before)
        emit stepChanged(m_step); // the same index may stand for another token now
}

void ResultSelection::setOutput(const TranslationOutput &output)
{
    m_pieceOutput = output;
    m_decoded = output.result;
    if (m_rows == AlignmentRows::Shifted && showsHeads())
        deriveView(m_decoded->view);
    convertOutput();
    m_error.clear();
    emit outputChanged();
    showHypothesis(0);
}

bool ResultSelection::showsHeads() const
{
    const TranslationResult *r = m_pieceOutput.result.get();
    return r && !r->hypotheses.empty() && !r->hypotheses.front().crossAttention.empty();
}

HeadSelection ResultSelection::view() const
{
    return showsHeads() ? m_pieceOutput.result->view : HeadSelection();
}

void ResultSelection::deriveView(const HeadSelection &view)
{
    auto changed = std::make_shared<TranslationResult>(*m_decoded);
    if (m_rows == AlignmentRows::Shifted)
        for (Hypothesis &h : changed->hypotheses)
            for (HeadAttention *heads : {&h.crossAttention, &h.crossEnergies})
                for (MatrixRM &map : heads->maps)
                    map = shiftedAlignment(map);
    applyView(*changed, view); // the mean of shifted maps is the shifted mean
    m_pieceOutput.result = std::move(changed);
}

void ResultSelection::showAgain()
{
    const int hypothesis = m_hypothesis;
    convertOutput();
    emit viewChanged();
    emit outputChanged();
    const int before = m_step;
    showHypothesis(hypothesis);
    if (m_step == before)
        emit stepChanged(m_step); // the step's row holds other weights now
}

bool ResultSelection::setView(const HeadSelection &view)
{
    if (!showsHeads())
        return false;
    try {
        deriveView(view);
    } catch (const InputError &) {
        return false;
    }
    showAgain();
    return true;
}

void ResultSelection::setAttentionKind(AttentionKind kind)
{
    if (kind == m_kind)
        return;
    m_kind = kind;
    if (hasResult())
        showAgain();
    else
        emit viewChanged();
}

bool ResultSelection::hasSelfAttention() const
{
    return showsHeads() && !m_decoded->encoderSelfAttention.empty()
        && !m_decoded->hypotheses.front().selfAttention.empty();
}

void ResultSelection::setAlignmentRows(AlignmentRows rows)
{
    if (rows == m_rows)
        return;
    m_rows = rows;
    if (!showsHeads()) {
        emit viewChanged();
        return;
    }
    deriveView(m_pieceOutput.result->view);
    showAgain();
}

void ResultSelection::setFailure(const QString &message)
{
    m_pieceOutput = {};
    m_decoded.reset();
    m_output = {};
    m_merge.reset();
    m_error = message;
    emit outputChanged();
    emit hypothesisChanged(m_hypothesis);
}

void ResultSelection::clear()
{
    setFailure(QString());
}

void ResultSelection::selectHypothesis(int index)
{
    if (!hasResult())
        return;
    showHypothesis(index);
}

void ResultSelection::showHypothesis(int index)
{
    m_hypothesis =
        hasResult() ? std::clamp(index, 0, int(m_output.result->hypotheses.size()) - 1) : 0;
    const int rows = steps();
    const int before = m_step;
    m_step = rows == 0 ? -1 : std::clamp(m_step < 0 ? 0 : m_step, 0, rows - 1);
    emit hypothesisChanged(m_hypothesis);
    if (m_step != before)
        emit stepChanged(m_step);
}

void ResultSelection::selectStep(int step)
{
    const int rows = steps();
    step = rows == 0 ? -1 : std::clamp(step, 0, rows - 1);
    if (step == m_step)
        return;
    m_step = step;
    emit stepChanged(step);
}

} // namespace attnviz
