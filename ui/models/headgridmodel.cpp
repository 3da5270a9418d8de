#include "headgridmodel.h"

#include "resultselection.h"

#include <attnviz/models/model.h>

#include <algorithm>

namespace attnviz {

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
