#include "walkthroughwindow.h"

#include "filedialogs.h"
#include "resultselection.h"
#include "walkthroughexport.h"
#include "walkthroughrenderer.h"

#include <QComboBox>
#include <QDir>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QMessageBox>
#include <QPainter>
#include <QSpinBox>
#include <QScreen>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace attnviz {
namespace {

// The page, scaled to fit (16:9, centred); a line saying why when there is nothing to show.
class Canvas : public QWidget
{
public:
    Canvas(WalkthroughModel *model, QWidget *parent)
        : QWidget(parent)
        , m_model(model)
    {
        setFocusPolicy(Qt::StrongFocus);
        setMinimumSize(320, 180);
        setAutoFillBackground(false);
        connect(model, &WalkthroughModel::positionChanged, this, qOverload<>(&QWidget::update));
        connect(model, &WalkthroughModel::dataChanged, this, qOverload<>(&QWidget::update));
    }

    QSize sizeHint() const override { return {960, 540}; }

protected:
    void paintEvent(QPaintEvent *) override
    {
        QPainter painter(this);
        painter.fillRect(rect(), palette().window());
        if (const WalkthroughData *data = m_model->data(); data && data->steps() > 0) {
            paintWalkthroughPage(&painter, *data, m_model->frame(), QRectF(rect()));
            return;
        }
        painter.setPen(palette().color(QPalette::WindowText));
        const QString why = m_model->error().isEmpty()
            ? tr("Type a sentence in the main window: its translation is walked through here, step by step.")
            : tr("No walkthrough for this result: %1").arg(m_model->error());
        painter.drawText(rect().adjusted(20, 20, -20, -20), Qt::AlignCenter | Qt::TextWordWrap, why);
    }

private:
    WalkthroughModel *m_model;
};

QToolButton *button(QStyle::StandardPixmap icon, const QString &text, const QString &tip, QWidget *parent)
{
    auto *b = new QToolButton(parent);
    b->setIcon(parent->style()->standardIcon(icon));
    b->setText(text);
    b->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    b->setToolTip(tip);
    b->setFocusPolicy(Qt::NoFocus); // the keys go to the page
    b->setAutoRaise(true);
    return b;
}

constexpr double speeds[] = {0.25, 0.5, 1, 2, 4};

} // namespace

WalkthroughWindow::WalkthroughWindow(ResultSelection *selection, QWidget *parent)
    : QWidget(parent, Qt::Window)
    , m_selection(selection)
    , m_model(new WalkthroughModel(this))
{
    setWindowTitle(tr("Walkthrough — attnviz"));
    m_canvas = new Canvas(m_model, this);
    m_first = button(QStyle::SP_MediaSkipBackward, tr("First"), tr("First page (Home)"), this);
    m_previous = button(QStyle::SP_MediaSeekBackward, tr("Previous"), tr("Previous stage (Left, Backspace)"), this);
    m_play = button(QStyle::SP_MediaPlay, tr("Play"), tr("Play / pause (P)"), this);
    m_next = button(QStyle::SP_MediaSeekForward, tr("Next"), tr("Next stage (Right, Space)"), this);
    m_last = button(QStyle::SP_MediaSkipForward, tr("Last"), tr("Last page (End)"), this);
    m_speed = new QComboBox(this);
    for (double s : speeds)
        m_speed->addItem(tr("%1× speed").arg(s), s);
    m_speed->setCurrentIndex(2);
    m_speed->setFocusPolicy(Qt::ClickFocus);
    m_speed->setToolTip(tr("Playing speed (+ / −): at 1×, a page every %1 s").arg(WalkthroughModel::baseInterval / 1000.0));
    m_topK = new QSpinBox(this);
    m_topK->setRange(1, 50);
    m_topK->setValue(m_model->topK());
    m_topK->setPrefix(tr("top "));
    m_topK->setToolTip(tr("How many of the most likely next words stage 4 shows"));
    m_topK->setFocusPolicy(Qt::ClickFocus);
    m_head = new QComboBox(this);
    m_head->setToolTip(tr("Transformers: the cross-attention head the pages explain (H / Shift+H: next / previous "
                          "head, L / Shift+L: next / previous layer)"));
    m_head->setFocusPolicy(Qt::ClickFocus);
    m_head->setAccessibleName(tr("Head"));
    m_head->setVisible(false);
    m_position = new QLabel(this);
    // In a narrow window the page's own title says the step: the label is cut, the controls keep their width.
    m_position->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_position->setAlignment(Qt::AlignLeft | Qt::AlignVCenter);

    auto *controls = new QHBoxLayout;
    for (QWidget *w : std::initializer_list<QWidget *>{m_first, m_previous, m_play, m_next, m_last, m_speed, m_topK, m_head})
        controls->addWidget(w);
    controls->addWidget(m_position, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(controls);
    layout->addWidget(m_canvas, 1);
    QSize size(1000, 620);
    if (const QScreen *screen = this->screen()) // a small screen: the window still fits
        size = size.boundedTo(screen->availableSize());
    resize(size);

    connect(m_first, &QToolButton::clicked, m_model, &WalkthroughModel::first);
    connect(m_previous, &QToolButton::clicked, m_model, &WalkthroughModel::previous);
    connect(m_play, &QToolButton::clicked, m_model, &WalkthroughModel::togglePlay);
    connect(m_next, &QToolButton::clicked, m_model, &WalkthroughModel::next);
    connect(m_last, &QToolButton::clicked, m_model, &WalkthroughModel::last);
    connect(m_speed, &QComboBox::currentIndexChanged, this,
            [this](int index) { m_model->setSpeed(m_speed->itemData(index).toDouble()); });
    connect(m_topK, &QSpinBox::valueChanged, m_model, &WalkthroughModel::setTopK);
    connect(m_model, &WalkthroughModel::positionChanged, this, &WalkthroughWindow::updateControls);
    connect(m_model, &WalkthroughModel::dataChanged, this, &WalkthroughWindow::updateControls);
    connect(m_model, &WalkthroughModel::dataChanged, this, &WalkthroughWindow::updateHeadChooser);
    connect(m_head, &QComboBox::activated, this, [this](int index) {
        const QPoint head = m_head->itemData(index).toPoint();
        m_model->setHead(head.x(), head.y());
        m_canvas->setFocus();
    });
    connect(m_model, &WalkthroughModel::playingChanged, this, &WalkthroughWindow::updateControls);
    connect(selection, &ResultSelection::hypothesisChanged, this, [this]() {
        if (isVisible())
            refresh();
    });
    updateControls();
    m_canvas->setFocus();
}

void WalkthroughWindow::refresh()
{
    if (m_selection->hasResult())
        m_model->setOutput(m_selection->output(), m_selection->hypothesisIndex());
    else
        m_model->clear();
}

void WalkthroughWindow::showEvent(QShowEvent *event)
{
    refresh();
    m_canvas->setFocus();
    QWidget::showEvent(event);
}

void WalkthroughWindow::updateControls()
{
    const int frames = m_model->frameCount();
    const WalkthroughFrame f = m_model->frame();
    m_position->setText(frames == 0 ? QString()
                                    : tr("Step %1 of %2, stage %3 · page %4 of %5")
                                          .arg(f.step + 1)
                                          .arg(frames / walkthroughStageCount)
                                          .arg(int(f.stage) + 1)
                                          .arg(m_model->position() + 1)
                                          .arg(frames));
    m_first->setEnabled(m_model->position() > 0);
    m_previous->setEnabled(m_model->position() > 0);
    m_next->setEnabled(m_model->position() < frames - 1);
    m_last->setEnabled(m_model->position() < frames - 1);
    m_play->setEnabled(frames > 0);
    m_play->setText(m_model->isPlaying() ? tr("Pause") : tr("Play"));
    m_play->setIcon(style()->standardIcon(m_model->isPlaying() ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
}

void WalkthroughWindow::updateHeadChooser()
{
    const WalkthroughData *data = m_model->data();
    const bool transformer = data && data->transformer();
    m_head->setVisible(transformer);
    if (!transformer)
        return;
    const StepDetails &d = data->details;
    if (m_head->count() != d.layers * d.heads) {
        m_head->clear();
        for (int l = 0; l < d.layers; ++l)
            for (int h = 0; h < d.heads; ++h)
                m_head->addItem(tr("Layer %1, head %2").arg(l + 1).arg(h + 1), QPoint(l, h));
    }
    m_head->setCurrentIndex(d.layer * d.heads + d.head);
}

void WalkthroughWindow::moveHead(int layers, int heads)
{
    const WalkthroughData *data = m_model->data();
    if (!data || !data->transformer())
        return;
    const StepDetails &d = data->details;
    m_model->setHead((d.layer + layers + d.layers) % d.layers, (d.head + heads + d.heads) % d.heads);
}

void WalkthroughWindow::keyPressEvent(QKeyEvent *event)
{
    const int back = event->modifiers() & Qt::ShiftModifier ? -1 : 1;
    switch (event->key()) {
    case Qt::Key_H:
        moveHead(0, back);
        break;
    case Qt::Key_L:
        moveHead(back, 0);
        break;
    case Qt::Key_Right:
    case Qt::Key_Down:
    case Qt::Key_Space:
    case Qt::Key_PageDown:
        m_model->next();
        break;
    case Qt::Key_Left:
    case Qt::Key_Up:
    case Qt::Key_Backspace:
    case Qt::Key_PageUp:
        m_model->previous();
        break;
    case Qt::Key_Home:
        m_model->first();
        break;
    case Qt::Key_End:
        m_model->last();
        break;
    case Qt::Key_P:
    case Qt::Key_K:
        m_model->togglePlay();
        break;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        m_speed->setCurrentIndex(std::min(m_speed->count() - 1, m_speed->currentIndex() + 1));
        break;
    case Qt::Key_Minus:
        m_speed->setCurrentIndex(std::max(0, m_speed->currentIndex() - 1));
        break;
    case Qt::Key_Escape:
        m_model->pause();
        close();
        break;
    default:
        QWidget::keyPressEvent(event);
        return;
    }
    event->accept();
}

QString WalkthroughWindow::exportDialog(const QString &directory)
{
    refresh();
    const WalkthroughData *data = m_model->data();
    if (!data || data->steps() == 0) {
        QMessageBox::warning(parentWidget() ? parentWidget() : this, tr("Export walkthrough"),
                             m_model->error().isEmpty() ? tr("There is no translation to walk through.") : m_model->error());
        return {};
    }
    const QString path = filedialogs::exportWalkthrough(parentWidget() ? parentWidget() : this, directory);
    if (path.isEmpty())
        return {};
    QString error;
    if (!exportWalkthrough(path, *data, walkthroughFrames(data->steps()), {}, &error)) {
        QMessageBox::warning(parentWidget() ? parentWidget() : this, tr("Export walkthrough"), error);
        return {};
    }
    return path;
}

} // namespace attnviz
