#include "headgrid.h"

#include "headgridmodel.h"

#include <QComboBox>
#include <QKeyEvent>
#include <QLabel>
#include <QPainter>
#include <QScrollArea>
#include <QVBoxLayout>

namespace attnviz {
namespace {

constexpr int headerWidth = 56, headerHeight = 18, gap = 4;

} // namespace

HeadGridCanvas::HeadGridCanvas(HeadGridModel *model, QWidget *parent) : QWidget(parent), m_model(model)
{
    setFocusPolicy(Qt::StrongFocus);
    setAccessibleName(tr("Heads: cross-attention of every layer and head"));
    connect(model, &HeadGridModel::changed, this, [this] {
        updateGeometry();
        update();
    });
}

void HeadGridCanvas::setColorMap(ColorMap map)
{
    m_colorMap = map;
    update();
}

int HeadGridCanvas::cellSize() const
{
    return 56;
}

QSize HeadGridCanvas::sizeHint() const
{
    const int c = cellSize();
    return {headerWidth + m_model->heads() * (c + gap) + gap, headerHeight + m_model->layers() * (c + gap) + gap};
}

QRect HeadGridCanvas::cellRect(int layer, int head) const
{
    const int c = cellSize();
    if (head < 0)
        return {0, headerHeight + layer * (c + gap), headerWidth - gap, c};
    return {headerWidth + head * (c + gap), headerHeight + layer * (c + gap), c, c};
}

void HeadGridCanvas::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    if (!m_model->available())
        return;
    const QPoint cursor = m_model->cursor();
    p.setPen(palette().text().color());
    for (int h = 0; h < m_model->heads(); ++h)
        p.drawText(QRect(headerWidth + h * (cellSize() + gap), 0, cellSize(), headerHeight), Qt::AlignCenter,
                   tr("head %1").arg(h + 1));
    for (int l = 0; l < m_model->layers(); ++l) {
        p.setPen(palette().text().color());
        p.drawText(cellRect(l, -1), Qt::AlignRight | Qt::AlignVCenter, tr("layer %1").arg(l + 1));
        for (int h = 0; h < m_model->heads(); ++h) {
            const MatrixRM *a = m_model->crossAttention(l, h);
            const QRect r = cellRect(l, h);
            if (a && a->rows() > 0 && a->cols() > 0) {
                // One pixel per weight, scaled to the cell: the heatmap in small.
                QImage image(int(a->cols()), int(a->rows()), QImage::Format_RGB32);
                for (int i = 0; i < a->rows(); ++i)
                    for (int j = 0; j < a->cols(); ++j)
                        image.setPixel(j, i, colorMapColor(m_colorMap, double((*a)(i, j))).rgb());
                p.drawImage(r, image);
            }
            if (m_model->isSelected(l, h)) {
                p.setPen(QPen(palette().highlight().color(), 3));
                p.drawRect(r.adjusted(1, 1, -2, -2));
            }
            if (hasFocus() && cursor == QPoint(h, l)) {
                p.setPen(QPen(Qt::red, 1, Qt::DashLine));
                p.drawRect(r.adjusted(-2, -2, 1, 1));
            }
        }
    }
}

void HeadGridCanvas::mousePressEvent(QMouseEvent *event)
{
    for (int l = 0; l < m_model->layers(); ++l) {
        if (cellRect(l, -1).contains(event->pos())) {
            m_model->clickLayer(l);
            return;
        }
        for (int h = 0; h < m_model->heads(); ++h)
            if (cellRect(l, h).contains(event->pos())) {
                m_model->clickHead(l, h, event->modifiers());
                return;
            }
    }
}

void HeadGridCanvas::keyPressEvent(QKeyEvent *event)
{
    const bool extend = event->modifiers() & Qt::ShiftModifier;
    switch (event->key()) {
    case Qt::Key_Left: m_model->moveCursor(0, -1, extend); break;
    case Qt::Key_Right: m_model->moveCursor(0, 1, extend); break;
    case Qt::Key_Up: m_model->moveCursor(-1, 0, false); break;
    case Qt::Key_Down: m_model->moveCursor(1, 0, false); break;
    case Qt::Key_Return:
    case Qt::Key_Enter:
    case Qt::Key_Space: m_model->activateCursor(event->modifiers()); break;
    default: QWidget::keyPressEvent(event); return;
    }
    update();
}

HeadGrid::HeadGrid(HeadGridModel *model, QWidget *parent)
    : QWidget(parent), m_model(model), m_presets(new QComboBox(this)), m_label(new QLabel(this)),
      m_canvas(new HeadGridCanvas(model, this))
{
    m_presets->setAccessibleName(tr("Head preset"));
    m_presets->setPlaceholderText(tr("Heads chosen in the grid"));
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(m_canvas);
    scroll->setWidgetResizable(false);
    scroll->setMinimumSize(40, 24); // the dock must not make the window taller than 800 x 600
    m_label->setWordWrap(false);
    m_label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_presets);
    layout->addWidget(m_label);
    layout->addWidget(scroll, 1);
    connect(m_presets, &QComboBox::activated, model, &HeadGridModel::applyPreset);
    connect(model, &HeadGridModel::changed, this, &HeadGrid::refresh);
    refresh();
}

QString HeadGrid::viewText() const
{
    return m_label->text();
}

void HeadGrid::refresh()
{
    const QStringList names = m_model->presetNames();
    QStringList shown;
    for (int n = 0; n < m_presets->count(); ++n)
        shown << m_presets->itemText(n);
    if (shown != names) {
        m_presets->clear();
        m_presets->addItems(names);
    }
    m_presets->setCurrentIndex(m_model->presetIndex());
    m_presets->setEnabled(m_model->available());
    m_label->setText(m_model->available() ? tr("Heatmap: %1").arg(m_model->viewName()) : m_model->note());
    m_canvas->resize(m_canvas->sizeHint());
}

} // namespace attnviz
