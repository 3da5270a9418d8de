#include "headgrid.h"

#include "headalignmentmodel.h"
#include "headgridmodel.h"

#include <QAction>
#include <QActionGroup>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QEvent>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QScrollArea>
#include <QStyle>
#include <QTabBar>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace attnviz {
namespace {

constexpr int headerWidth = 56, headerHeight = 18, gap = 4;

const AttentionKind kindOrder[] = {AttentionKind::Cross, AttentionKind::DecoderSelf, AttentionKind::EncoderSelf};

} // namespace

HeadGridCanvas::HeadGridCanvas(HeadGridModel *model, QWidget *parent) : QWidget(parent), m_model(model)
{
    setFocusPolicy(Qt::StrongFocus);
    setAccessibleName(tr("Heads: the attention of every layer and head"));
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

void HeadGridCanvas::setAvailableSize(const QSize &size, int scrollBarWidth)
{
    m_scrollBarWidth = scrollBarWidth;
    if (size == m_available)
        return;
    m_available = size;
    updateGeometry();
    update();
}

int HeadGridCanvas::cellSize() const
{
    // The heads fill the width; the layers scroll when they do not fit the height (a tall grid
    // scrolls better than one whose thumbnails shrink until nothing can be read).
    const int heads = std::max(1, m_model->heads());
    if (!m_available.isValid())
        return 56;
    const int byWidth = (m_available.width() - headerWidth - gap - m_scrollBarWidth) / heads - gap;
    return std::clamp(byWidth, minimumCellSize, maximumCellSize);
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
    const int c = cellSize();
    p.setPen(palette().text().color());
    const bool roomy = p.fontMetrics().horizontalAdvance(tr("head %1").arg(m_model->heads())) + 4 <= c;
    for (int h = 0; h < m_model->heads(); ++h)
        p.drawText(QRect(headerWidth + h * (c + gap), 0, c, headerHeight), Qt::AlignCenter,
                   roomy ? tr("head %1").arg(h + 1) : QString::number(h + 1));
    for (int l = 0; l < m_model->layers(); ++l) {
        p.setPen(palette().text().color());
        p.drawText(cellRect(l, -1), Qt::AlignRight | Qt::AlignVCenter, tr("layer %1").arg(l + 1));
        for (int h = 0; h < m_model->heads(); ++h) {
            const MatrixRM *a = m_model->attentionMap(l, h);
            const QRect r = cellRect(l, h);
            if (a && a->rows() > 0 && a->cols() > 0) {
                // One pixel per weight, scaled to the cell: the heatmap in small.
                QImage image(int(a->cols()), int(a->rows()), QImage::Format_RGB32);
                for (int i = 0; i < a->rows(); ++i)
                    for (int j = 0; j < a->cols(); ++j)
                        image.setPixel(j, i, colorMapColor(m_colorMap, double((*a)(i, j))).rgb());
                p.drawImage(r, image);
            } else {
                p.fillRect(r, palette().alternateBase());
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
    : QWidget(parent), m_model(model), m_kinds(new QTabBar(this)), m_presets(new QComboBox(this)),
      m_shifted(new QCheckBox(tr("Sh&ifted rows"), this)), m_label(new QLabel(this)),
      m_scroll(new QScrollArea(this)), m_canvas(new HeadGridCanvas(model, this)), m_aerBox(new QWidget(this)),
      m_aerLabel(new QLabel(m_aerBox)), m_aerScope(new QComboBox(m_aerBox)),
      m_aerCancel(new QPushButton(tr("Cancel"), m_aerBox)), m_aerTable(new QTableView(m_aerBox)), m_kindActions(new QActionGroup(this)),
      m_shiftedAction(new QAction(tr("&Shifted alignment rows (Shift-Att)"), this))
{
    // The tabs and the View menu's actions: one choice, ResultSelection's.
    const QString tabNames[] = {tr("Cross"), tr("Decoder self"), tr("Encoder self")};
    const QString actionNames[] = {tr("&Cross-attention"), tr("&Decoder self-attention"), tr("E&ncoder self-attention")};
    for (int n = 0; n < 3; ++n) {
        m_kinds->addTab(tabNames[n]);
        auto *action = new QAction(actionNames[n], this);
        action->setObjectName(QStringLiteral("attentionKind%1").arg(n));
        action->setCheckable(true);
        action->setShortcut(QKeySequence(tr("Ctrl+Alt+%1").arg(n + 1)));
        action->setStatusTip(n == 0 ? tr("The heatmap and the grid show the decoder's attention over the source")
                             : n == 1 ? tr("The decoder's self-attention: each step over its inputs so far (a causal triangle)")
                                      : tr("The encoder's self-attention: each source token over the source"));
        m_kindActions->addAction(action);
        m_actions << action;
        connect(action, &QAction::triggered, model, [model, n] { model->setAttentionKind(kindOrder[n]); });
    }
    m_kinds->setAccessibleName(tr("Attention shown"));
    m_kinds->setToolTip(tr("Which attention the grid and the heatmap show (Ctrl+Alt+1, 2, 3)"));
    m_kinds->setFocusPolicy(Qt::StrongFocus);
    m_kinds->setExpanding(false);
    m_kinds->setDrawBase(false);
    connect(m_kinds, &QTabBar::currentChanged, model, [model](int n) {
        if (n >= 0 && n < 3)
            model->setAttentionKind(kindOrder[n]);
    });
    m_shiftedAction->setObjectName(QStringLiteral("shiftedRows"));
    m_shiftedAction->setCheckable(true);
    m_shiftedAction->setShortcut(QKeySequence(tr("Ctrl+Shift+A")));
    m_shiftedAction->setStatusTip(tr("Align yₜ by the step that reads it as its input (row t + 1, Shift-Att), "
                                     "not by the step that emits it"));
    m_actions << m_shiftedAction;
    const auto setShifted = [model](bool on) { model->setAlignmentRows(on ? AlignmentRows::Shifted : AlignmentRows::Naive); };
    connect(m_shiftedAction, &QAction::toggled, model, setShifted);
    connect(m_shifted, &QCheckBox::toggled, model, setShifted);
    m_shifted->setToolTip(m_shiftedAction->statusTip() + tr(" (Ctrl+Shift+A)"));

    m_presets->setAccessibleName(tr("Head preset"));
    m_presets->setPlaceholderText(tr("Heads chosen in the grid"));
    m_scroll->setWidget(m_canvas);
    m_scroll->setWidgetResizable(false);
    m_scroll->setMinimumSize(40, 24); // the dock must not make the window taller than 800 x 600
    m_scroll->setFocusPolicy(Qt::NoFocus); // Tab goes to the grid itself
    m_scroll->installEventFilter(this);
    m_label->setWordWrap(true);
    m_label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);

    m_aerLabel->setWordWrap(true);
    m_aerLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_aerTable->setAccessibleName(tr("AER of every layer and head"));
    m_aerTable->setSelectionMode(QAbstractItemView::SingleSelection);
    m_aerTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_aerTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_aerTable->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    // As tall as its rows (a layer each, and the all-layer mean), so that the grid keeps the rest.
    m_aerTable->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
    m_aerTable->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Maximum);
    m_aerTable->setMinimumHeight(40);
    // Ctrl+C (and the context menu): the whole table as tab-separated text.
    auto *copy = new QAction(tr("&Copy the AER table"), m_aerTable);
    copy->setObjectName(QStringLiteral("copyAerTable"));
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetShortcut);
    m_aerTable->addAction(copy);
    m_aerTable->setContextMenuPolicy(Qt::ActionsContextMenu);
    connect(copy, &QAction::triggered, this, [this] {
        if (m_scores && m_scores->available())
            QGuiApplication::clipboard()->setText(m_scores->toTsv());
    });
    m_aerScope->addItems({tr("AER of this sentence"), tr("AER of the whole set")});
    m_aerScope->setAccessibleName(tr("What the AER table scores"));
    m_aerScope->setToolTip(tr("Score every layer and head on the sentence shown, or on every sentence of the "
                              "alignment set (each decoded on its reference; the counts summed, as "
                              "attnviz-cli align --per-layer does)"));
    m_aerCancel->setToolTip(tr("Stop scoring the set: the table goes back to the sentence shown"));
    m_aerCancel->hide();
    auto *aerLayout = new QVBoxLayout(m_aerBox);
    aerLayout->setContentsMargins(0, 0, 0, 0);
    auto *scopeRow = new QHBoxLayout;
    scopeRow->addWidget(m_aerScope, 1);
    scopeRow->addWidget(m_aerCancel);
    aerLayout->addLayout(scopeRow);
    aerLayout->addWidget(m_aerLabel);
    aerLayout->addWidget(m_aerTable, 1);
    m_aerBox->hide();

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_kinds);
    auto *row = new QHBoxLayout;
    row->addWidget(m_presets, 1);
    row->addWidget(m_shifted);
    layout->addLayout(row);
    layout->addWidget(m_label);
    layout->addWidget(m_scroll, 1);
    layout->addWidget(m_aerBox);
    connect(m_presets, &QComboBox::activated, model, &HeadGridModel::applyPreset);
    connect(model, &HeadGridModel::changed, this, &HeadGrid::refresh);
    refresh();
}

void HeadGrid::setAlignmentScores(HeadAlignmentModel *scores)
{
    m_scores = scores;
    m_aerTable->setModel(scores);
    // A click, or Enter on the cell cursor: the heatmap shows that head.
    connect(m_aerTable, &QTableView::clicked, scores, &HeadAlignmentModel::activate);
    connect(m_aerTable, &QTableView::activated, scores, &HeadAlignmentModel::activate);
    connect(scores, &HeadAlignmentModel::changed, this, &HeadGrid::refreshScores);
    connect(m_aerScope, &QComboBox::activated, scores, [scores](int n) {
        scores->setScope(n == 1 ? HeadAlignmentModel::Scope::Set : HeadAlignmentModel::Scope::Sentence);
    });
    connect(m_aerCancel, &QPushButton::clicked, scores, &HeadAlignmentModel::cancelSetScoring);
    refreshScores();
}

bool HeadGrid::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_scroll && event->type() == QEvent::Resize) {
        // The room the scroll area offers without its scroll bars: the cells fill it, and scroll
        // only when even the smallest cells do not fit.
        const QMargins frame = m_scroll->contentsMargins();
        m_canvas->setAvailableSize(m_scroll->size().shrunkBy(frame),
                                   m_scroll->style()->pixelMetric(QStyle::PM_ScrollBarExtent, nullptr, m_scroll));
        m_canvas->resize(m_canvas->sizeHint());
    }
    return QWidget::eventFilter(watched, event);
}

QString HeadGrid::viewText() const
{
    return m_label->text();
}

QString HeadGrid::aerText() const
{
    return m_aerLabel->text();
}

QList<ShortcutEntry> HeadGrid::keyHelp()
{
    const QString grid = tr("Heads grid"), table = tr("Heads: AER table");
    return {
        {tr("Arrows"), tr("Move the head cursor"), grid},
        {tr("Enter, Space"), tr("Show the head under the cursor (Ctrl: add it to the mean)"), grid},
        {tr("Shift+Left, Shift+Right"), tr("Add the heads passed over to the mean"), grid},
        {tr("Left, Right"), tr("On the tabs: cross / decoder self / encoder self-attention"), grid},
        {tr("Arrows, Enter"), tr("Move in the AER table; Enter shows that head (or mean) in the heatmap"), table},
        {tr("Ctrl+C"), tr("Copy the AER table as tab-separated text"), table},
    };
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
    const bool available = m_model->available();
    m_presets->setCurrentIndex(m_model->presetIndex());
    m_presets->setEnabled(available);
    const int kind = int(std::find(std::begin(kindOrder), std::end(kindOrder), m_model->attentionKind()) - std::begin(kindOrder));
    {
        const QSignalBlocker block(m_kinds);
        m_kinds->setCurrentIndex(kind);
    }
    m_kinds->setEnabled(available);
    m_kindActions->actions().at(kind)->setChecked(true);
    for (QAction *action : m_kindActions->actions())
        action->setEnabled(available);
    const bool shifted = m_model->alignmentRows() == AlignmentRows::Shifted;
    {
        const QSignalBlocker blockBox(m_shifted), blockAction(m_shiftedAction);
        m_shifted->setChecked(shifted);
        m_shiftedAction->setChecked(shifted);
    }
    // Shifted rows are a reading of the cross-attention's rows.
    const bool cross = m_model->attentionKind() == AttentionKind::Cross;
    m_shifted->setEnabled(available && cross);
    m_shiftedAction->setEnabled(available && cross);
    QString text = available ? tr("Heatmap: %1").arg(m_model->title()) : m_model->note();
    if (m_model->waitsForSelfAttention())
        text += tr(" (computing it…)");
    m_label->setText(text);
    m_canvas->resize(m_canvas->sizeHint());
}

void HeadGrid::refreshScores()
{
    if (!m_scores)
        return;
    const bool any = m_model->available();
    m_aerBox->setVisible(any);
    m_aerTable->setVisible(m_scores->available());
    const bool set = m_scores->scope() == HeadAlignmentModel::Scope::Set;
    const bool canSet = m_scores->canScoreSet();
    {
        const QSignalBlocker block(m_aerScope);
        m_aerScope->setItemText(1, canSet ? (m_scores->setSize() == 1 ? tr("AER of the whole set (1 sentence)")
                                                                      : tr("AER of the whole set (%1 sentences)").arg(m_scores->setSize()))
                                          : tr("AER of the whole set"));
        m_aerScope->setCurrentIndex(set ? 1 : 0);
    }
    m_aerScope->setEnabled(canSet || set);
    m_aerCancel->setVisible(m_scores->isScoringSet());
    m_aerLabel->setText(m_scores->available()
                            ? tr("AER against the gold links (%1; click a cell to show it). %2")
                                  .arg(m_scores->rows() == AlignmentRows::Shifted ? tr("shifted rows") : tr("naive rows"),
                                       m_scores->summary())
                            : m_scores->note());
}

} // namespace attnviz
