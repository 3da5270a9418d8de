#include "headgridmodel.h"

#include "alignmentmodel.h"
#include "resultselection.h"

#include <attnviz/analysis/word_units.h>
#include <attnviz/models/model.h>

#include <algorithm>

namespace attnviz {

namespace {

QStringList wordTexts(const WordGrouping &grouping)
{
    QStringList out;
    for (const WordUnit &word : grouping.words)
        out << QString::fromStdString(word.text);
    return out;
}

// The decoder's inputs (the start token, then y_1 ... y_{n-1}) grouped as the words of the
// output: the start token alone, then each word that has a piece among the inputs.
WordGrouping inputWords(const WordGrouping &output, const QString &start)
{
    WordGrouping in;
    in.words.push_back(WordUnit{start.toStdString(), {0}, true});
    in.wordOf.push_back(0);
    const int inputs = int(output.wordOf.size()); // as many columns as output steps
    for (int k = 1; k < inputs; ++k) {
        const int word = output.wordOf[size_t(k - 1)] + 1;
        if (word >= int(in.words.size()))
            in.words.push_back(WordUnit{output.words[size_t(word - 1)].text, {}, output.words[size_t(word - 1)].special});
        in.words[size_t(word)].pieces.push_back(k);
        in.wordOf.push_back(word);
    }
    return in;
}

} // namespace

std::optional<SelfAttentionView> selfAttentionView(const TranslationResult &pieces, int hypothesis,
                                                   AttentionKind kind, const HeadSelection &view,
                                                   const WordMerge *words)
{
    if (kind == AttentionKind::Cross || pieces.hypotheses.empty())
        return std::nullopt;
    const size_t n = std::min(size_t(std::max(hypothesis, 0)), pieces.hypotheses.size() - 1);
    const Hypothesis &h = pieces.hypotheses[n];
    const HeadAttention &heads = kind == AttentionKind::EncoderSelf ? pieces.encoderSelfAttention : h.selfAttention;
    if (heads.empty())
        return std::nullopt;
    SelfAttentionView out;
    out.values = selectHeads(heads, view);
    const QString start = QObject::tr("⟨start⟩");
    if (words && n < words->target.size()) {
        if (kind == AttentionKind::EncoderSelf) {
            out.values = mergeMatrix(out.values, words->source, words->source);
            out.rowLabels = out.columnLabels = sourceLabels(words->words);
        } else {
            const WordGrouping &rows = words->target[n];
            const WordGrouping columns = inputWords(rows, start);
            out.values = mergeMatrix(out.values, rows, columns);
            out.rowLabels = wordTexts(rows);
            out.columnLabels = wordTexts(columns);
        }
        return out;
    }
    if (kind == AttentionKind::EncoderSelf) {
        out.rowLabels = out.columnLabels = sourceLabels(pieces);
    } else {
        for (const std::string &token : h.targetTokens)
            out.rowLabels << QString::fromStdString(token);
        out.columnLabels << start;
        out.columnLabels << out.rowLabels.mid(0, std::max<qsizetype>(0, out.rowLabels.size() - 1));
    }
    return out;
}

QString attentionKindName(AttentionKind kind)
{
    switch (kind) {
    case AttentionKind::Cross: return QObject::tr("cross-attention");
    case AttentionKind::DecoderSelf: return QObject::tr("decoder self-attention");
    case AttentionKind::EncoderSelf: return QObject::tr("encoder self-attention");
    }
    return {};
}

QString attentionViewTitle(const ResultSelection &selection)
{
    if (!selection.showsHeads() || !selection.hypothesis())
        return {};
    const HeadAttention &cross = selection.pieceOutput().result->best().crossAttention;
    const HeadSelection view = resolveSelection(selection.view(), cross.layers, cross.heads);
    QStringList parts {attentionKindName(selection.attentionKind())};
    // "layer 3, mean of 8 heads" -> "layer 3 · mean of 8 heads"
    QString heads = QString::fromStdString(describeSelection(view, cross.layers, cross.heads));
    if (!view.allLayers)
        heads.replace(heads.indexOf(QStringLiteral(", ")), 2, QStringLiteral(" · "));
    parts << heads;
    // The toolkit's own name for these heads ("Marian's alignment").
    if (const auto &model = selection.output().model)
        for (const HeadPreset &preset : headPresets(model->config(), cross.layers)) {
            const auto colon = preset.name.find(": ");
            if (colon != std::string::npos
                && resolveSelection(preset.selection, cross.layers, cross.heads) == view) {
                parts << QString::fromStdString(preset.name.substr(0, colon));
                break;
            }
        }
    if (selection.attentionKind() != AttentionKind::Cross && selection.showsWords())
        parts << QObject::tr("in words"); // merged as the cross-attention is (selfAttentionView)
    if (selection.attentionKind() == AttentionKind::Cross && selection.alignmentRows() == AlignmentRows::Shifted)
        parts << QObject::tr("shifted rows (Shift-Att)");
    return parts.join(QStringLiteral(" · "));
}

HeadGridModel::HeadGridModel(ResultSelection *selection, QObject *parent) : QObject(parent), m_selection(selection)
{
    connect(selection, &ResultSelection::hypothesisChanged, this, [this] {
        if (available())
            m_cursor = QPoint(std::clamp(m_cursor.x(), 0, heads() - 1), std::clamp(m_cursor.y(), 0, layers() - 1));
        emit changed();
    });
}

bool HeadGridModel::available() const
{
    return m_selection->showsHeads() && m_selection->hypothesis();
}

QString HeadGridModel::note() const
{
    if (available())
        return QString();
    if (!m_selection->hasResult())
        return tr("No translation yet.");
    return tr("Heads: only for transformer models. This model is an RNN: its one attention is the heatmap.");
}

int HeadGridModel::layers() const
{
    return available() ? m_selection->pieceOutput().result->best().crossAttention.layers : 0;
}

int HeadGridModel::heads() const
{
    return available() ? m_selection->pieceOutput().result->best().crossAttention.heads : 0;
}

const MatrixRM *HeadGridModel::crossAttention(int layer, int head) const
{
    if (!available() || layer < 0 || layer >= layers() || head < 0 || head >= heads())
        return nullptr;
    // In pieces: the heads are the model's own; Words merge only the view.
    const TranslationResult &r = *m_selection->pieceOutput().result;
    const size_t n = std::min(size_t(m_selection->hypothesisIndex()), r.hypotheses.size() - 1);
    return &r.hypotheses[n].crossAttention.at(layer, head);
}

const MatrixRM *HeadGridModel::attentionMap(int layer, int head) const
{
    const MatrixRM *pieces = pieceMap(layer, head);
    const std::shared_ptr<const WordMerge> merge = m_selection->sharedWordMerge();
    const size_t n = size_t(std::max(m_selection->hypothesisIndex(), 0));
    if (!pieces || !merge || n >= merge->target.size())
        return pieces;
    const std::shared_ptr<const TranslationResult> &result = m_selection->pieceOutput().result;
    if (m_words.pieces != result || m_words.merge != merge || m_words.kind != attentionKind()
        || m_words.hypothesis != int(n)) {
        m_words = {result, merge, attentionKind(), int(n), {}};
        const WordGrouping &rows = attentionKind() == AttentionKind::EncoderSelf ? merge->source : merge->target[n];
        const WordGrouping inputs = inputWords(merge->target[n], QObject::tr("⟨start⟩"));
        const WordGrouping &columns = attentionKind() == AttentionKind::DecoderSelf ? inputs : merge->source;
        for (int l = 0; l < layers(); ++l)
            for (int h = 0; h < heads(); ++h)
                m_words.maps.push_back(mergeMatrix(*pieceMap(l, h), rows, columns));
    }
    return &m_words.maps[size_t(layer) * size_t(heads()) + size_t(head)];
}

const MatrixRM *HeadGridModel::pieceMap(int layer, int head) const
{
    if (attentionKind() == AttentionKind::Cross)
        return crossAttention(layer, head);
    if (!available() || !m_selection->hasSelfAttention() || layer < 0 || layer >= layers() || head < 0
        || head >= heads())
        return nullptr;
    const TranslationResult &r = *m_selection->pieceOutput().result;
    if (attentionKind() == AttentionKind::EncoderSelf)
        return &r.encoderSelfAttention.at(layer, head);
    const size_t n = std::min(size_t(m_selection->hypothesisIndex()), r.hypotheses.size() - 1);
    return &r.hypotheses[n].selfAttention.at(layer, head);
}

AttentionKind HeadGridModel::attentionKind() const
{
    return m_selection->attentionKind();
}

void HeadGridModel::setAttentionKind(AttentionKind kind)
{
    if (kind == attentionKind())
        return;
    m_selection->setAttentionKind(kind);
    emit changed();
}

AlignmentRows HeadGridModel::alignmentRows() const
{
    return m_selection->alignmentRows();
}

void HeadGridModel::setAlignmentRows(AlignmentRows rows)
{
    if (rows == alignmentRows())
        return;
    m_selection->setAlignmentRows(rows);
    emit changed();
}

bool HeadGridModel::waitsForSelfAttention() const
{
    return available() && attentionKind() != AttentionKind::Cross && !m_selection->hasSelfAttention();
}

QString HeadGridModel::title() const
{
    return attentionViewTitle(*m_selection);
}

HeadSelection HeadGridModel::view() const
{
    if (!available())
        return {};
    return resolveSelection(m_selection->view(), layers(), heads());
}

QString HeadGridModel::viewName() const
{
    return available() ? QString::fromStdString(describeSelection(view(), layers(), heads())) : QString();
}

bool HeadGridModel::isSelected(int layer, int head) const
{
    if (!available())
        return false;
    const HeadSelection v = view();
    return v.allLayers || (v.layer == layer && std::find(v.heads.begin(), v.heads.end(), head) != v.heads.end());
}

void HeadGridModel::show(const HeadSelection &selection)
{
    if (m_selection->setView(selection))
        emit changed();
}

void HeadGridModel::clickHead(int layer, int head, Qt::KeyboardModifiers modifiers)
{
    if (!available() || layer < 0 || layer >= layers() || head < 0 || head >= heads())
        return;
    m_cursor = QPoint(head, layer);
    HeadSelection next;
    next.layer = layer;
    next.heads = {head};
    const HeadSelection current = view();
    if ((modifiers & (Qt::ShiftModifier | Qt::ControlModifier)) && !current.allLayers && current.layer == layer) {
        next.heads = current.heads;
        const auto at = std::find(next.heads.begin(), next.heads.end(), head);
        if (at == next.heads.end())
            next.heads.push_back(head);
        else if (next.heads.size() > 1)
            next.heads.erase(at);
        std::sort(next.heads.begin(), next.heads.end());
    }
    show(next);
}

void HeadGridModel::clickLayer(int layer)
{
    if (!available() || layer < 0 || layer >= layers())
        return;
    m_cursor.setY(layer);
    HeadSelection next;
    next.layer = layer;
    show(next);
}

void HeadGridModel::selectAllLayers()
{
    HeadSelection next;
    next.allLayers = true;
    show(next);
}

std::vector<HeadPreset> HeadGridModel::presets() const
{
    if (!available() || !m_selection->output().model)
        return {};
    return headPresets(m_selection->output().model->config(), layers());
}

QStringList HeadGridModel::presetNames() const
{
    QStringList names;
    for (const HeadPreset &p : presets())
        names << QString::fromStdString(p.name);
    return names;
}

void HeadGridModel::applyPreset(int index)
{
    const std::vector<HeadPreset> list = presets();
    if (index >= 0 && size_t(index) < list.size())
        show(list[size_t(index)].selection);
}

int HeadGridModel::presetIndex() const
{
    const std::vector<HeadPreset> list = presets();
    const HeadSelection v = view();
    for (size_t n = 0; n < list.size(); ++n)
        if (resolveSelection(list[n].selection, layers(), heads()) == v)
            return int(n);
    return -1;
}

void HeadGridModel::moveCursor(int layerStep, int headStep, bool extend)
{
    if (!available())
        return;
    m_cursor = QPoint(std::clamp(m_cursor.x() + headStep, 0, heads() - 1),
                      std::clamp(m_cursor.y() + layerStep, 0, layers() - 1));
    if (extend)
        activateCursor(Qt::ShiftModifier);
    else
        emit changed();
}

void HeadGridModel::activateCursor(Qt::KeyboardModifiers modifiers)
{
    if (!available())
        return;
    // Shift-extending onto a head already selected keeps it (a toggle would drop it).
    if ((modifiers & Qt::ShiftModifier) && isSelected(m_cursor.y(), m_cursor.x())) {
        emit changed();
        return;
    }
    clickHead(m_cursor.y(), m_cursor.x(), modifiers);
}

} // namespace attnviz
