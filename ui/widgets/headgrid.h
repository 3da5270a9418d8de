// The Heads panel (#23): a thumbnail of every layer's and head's attention for the shown
// hypothesis (rows = layers, columns = heads), of the kind chosen in its tabs (cross-attention,
// decoder self-attention, encoder self-attention), the presets, the naive / shifted rows switch,
// the view's name and, with gold links, the AER of every head. It draws a HeadGridModel and a
// HeadAlignmentModel and sends clicks and keys back to them; for an RNN it shows the note.
#pragma once

#include "colormap.h"
#include "helptext.h"

#include <QList>
#include <QWidget>

class QAction;
class QActionGroup;
class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QScrollArea;
class QTabBar;
class QTableView;

namespace attnviz {

class HeadAlignmentModel;
class HeadGridModel;

// The thumbnails alone: a click picks a head (Shift/Ctrl: add it to the mean), a click on a row
// header the layer's mean; arrows move the head cursor, Enter/Space select it, Shift+arrows extend.
// The cells fill the width given (setAvailableSize), square, never below minimumCellSize.
class HeadGridCanvas : public QWidget
{
    Q_OBJECT
public:
    static constexpr int minimumCellSize = 40, maximumCellSize = 240;

    explicit HeadGridCanvas(HeadGridModel *model, QWidget *parent = nullptr);
    void setColorMap(ColorMap map);
    // The room the grid is shown in: the heads fill its width, leaving room for a vertical
    // scroll bar (the layers scroll when they do not fit its height).
    void setAvailableSize(const QSize &size, int scrollBarWidth = 0);
    int cellSize() const;
    QSize sizeHint() const override;
    // Where head (layer, head)'s thumbnail is; a head of -1: the row header.
    QRect cellRect(int layer, int head) const;

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;

private:
    HeadGridModel *m_model;
    ColorMap m_colorMap = ColorMap::Viridis;
    QSize m_available;
    int m_scrollBarWidth = 0;
};

class HeadGrid : public QWidget
{
    Q_OBJECT
public:
    explicit HeadGrid(HeadGridModel *model, QWidget *parent = nullptr);
    // The AER table under the grid (not owned); without one the panel has none.
    void setAlignmentScores(HeadAlignmentModel *scores);

    HeadGridCanvas *canvas() const { return m_canvas; }
    QComboBox *presets() const { return m_presets; }
    QTabBar *kinds() const { return m_kinds; }
    QCheckBox *shiftedRows() const { return m_shifted; }
    QTableView *aerTable() const { return m_aerTable; }
    // What the AER table scores: "This sentence" or "Whole set (N sentences)"; Cancel while a
    // set is scored.
    QComboBox *aerScope() const { return m_aerScope; }
    QPushButton *aerCancel() const { return m_aerCancel; }
    QString viewText() const; // the label above the grid
    QString aerText() const;  // the line above the AER table

    // View → Cross-attention / Decoder self-attention / Encoder self-attention and Shifted
    // alignment rows, with their shortcuts, for the window's menu.
    QList<QAction *> viewActions() const { return m_actions; }
    // The keys the grid and the AER table handle themselves (Help → Keyboard shortcuts).
    static QList<ShortcutEntry> keyHelp();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void refresh();
    void refreshScores();
    HeadGridModel *m_model;
    HeadAlignmentModel *m_scores = nullptr;
    QTabBar *m_kinds;
    QComboBox *m_presets;
    QCheckBox *m_shifted;
    QLabel *m_label;
    QScrollArea *m_scroll;
    HeadGridCanvas *m_canvas;
    QWidget *m_aerBox;
    QLabel *m_aerLabel;
    QComboBox *m_aerScope;
    QPushButton *m_aerCancel;
    QTableView *m_aerTable;
    QActionGroup *m_kindActions;
    QAction *m_shiftedAction;
    QList<QAction *> m_actions;
};

} // namespace attnviz
