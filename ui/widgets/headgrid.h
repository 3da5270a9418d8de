// The Heads panel (#23): a thumbnail of every decoder layer's and head's cross-attention for the
// shown hypothesis (rows = layers, columns = heads), the presets, and the view's name. It draws
// a HeadGridModel and sends clicks and keys back to it; for an RNN it shows the model's note.
#pragma once

#include "colormap.h"

#include <QWidget>

class QComboBox;
class QLabel;

namespace attnviz {

class HeadGridModel;

// The thumbnails alone: a click picks a head (Shift/Ctrl: add it to the mean), a click on a row
// header the layer's mean; arrows move the head cursor, Enter/Space select it, Shift+arrows extend.
class HeadGridCanvas : public QWidget
{
    Q_OBJECT
public:
    explicit HeadGridCanvas(HeadGridModel *model, QWidget *parent = nullptr);
    void setColorMap(ColorMap map);
    QSize sizeHint() const override;
    // Where head (layer, head)'s thumbnail is; a head of -1: the row header.
    QRect cellRect(int layer, int head) const;

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;

private:
    int cellSize() const;
    HeadGridModel *m_model;
    ColorMap m_colorMap = ColorMap::Viridis;
};

class HeadGrid : public QWidget
{
    Q_OBJECT
public:
    explicit HeadGrid(HeadGridModel *model, QWidget *parent = nullptr);
    HeadGridCanvas *canvas() const { return m_canvas; }
    QComboBox *presets() const { return m_presets; }
    QString viewText() const; // the label above the grid

private:
    void refresh();
    HeadGridModel *m_model;
    QComboBox *m_presets;
    QLabel *m_label;
    HeadGridCanvas *m_canvas;
};

} // namespace attnviz
