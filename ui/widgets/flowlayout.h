// A layout that puts its items in a row and wraps to the next row when the width runs out, as
// words in a paragraph. The decoding panel's controls use it so that every label stays whole at
// any window width: at 1600 px they sit on one row, at 800 px on two or three. Its minimum width
// is that of its widest item, so no item (such as the beam hypothesis list appearing) can make the
// window wider; it asks for more height instead (heightForWidth).
#pragma once

#include <QLayout>
#include <QList>

namespace attnviz {

class FlowLayout : public QLayout
{
public:
    explicit FlowLayout(QWidget *parent = nullptr, int horizontalSpacing = 12,
                        int verticalSpacing = 4);
    ~FlowLayout() override;

    void addItem(QLayoutItem *item) override;
    int count() const override { return int(m_items.size()); }
    QLayoutItem *itemAt(int index) const override { return m_items.value(index); }
    QLayoutItem *takeAt(int index) override;
    Qt::Orientations expandingDirections() const override { return {}; }
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override { return arrange(QRect(0, 0, width, 0), false); }
    QSize minimumSize() const override;
    QSize sizeHint() const override { return minimumSize(); }
    void setGeometry(const QRect &rect) override;

private:
    int arrange(const QRect &rect, bool apply) const; // the height used

    QList<QLayoutItem *> m_items;
    int m_horizontalSpacing, m_verticalSpacing;
};

} // namespace attnviz
